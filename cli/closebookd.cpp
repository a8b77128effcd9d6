#include <vector>

#include "cli/cli.h"

// closebookd [--ledger DIR] [serve options]: `closebook serve` under the daemon's name.
int main(int argc, char** argv) {
  std::vector<const char*> args{argv[0], "serve"};
  args.insert(args.end(), argv + 1, argv + argc);
  return closebook::cli::run(static_cast<int>(args.size()), args.data());
}
