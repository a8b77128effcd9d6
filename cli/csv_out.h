// CSV written for people's spreadsheets: the cell writer of match/csv.h, under the name the
// report commands use.
#pragma once

#include <string>

#include "match/csv.h"

namespace closebook::cli {

inline std::string csv_cell(const std::string& value, bool text) { return csv::cell(value, text); }

}  // namespace closebook::cli
