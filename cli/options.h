// Parsing a command's own arguments with Boost.Program_options. Errors throw po::error,
// which run() reports as a usage error (exit 1).
#pragma once

#include <boost/program_options.hpp>

#include "cli/cli.h"

namespace closebook::cli {

namespace po = boost::program_options;

inline po::variables_map parse_args(const std::vector<std::string>& args,
                                    const po::options_description& options,
                                    const po::positional_options_description& positional = {}) {
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
  po::notify(vm);
  return vm;
}

}  // namespace closebook::cli
