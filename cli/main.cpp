#include "cli/cli.h"

int main(int argc, char** argv) { return closebook::cli::run(argc, argv); }
