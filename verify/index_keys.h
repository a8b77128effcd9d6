// The index keys an entry is filed under, from the table of docs/ledger.md §7 (written from
// that text, not from ledger/indexes.cpp): what R33 checks a bundle's entries against and what
// L8 rebuilds the subject map from.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "evidence/entry.h"

namespace closebook::verify {

using IndexKeyName = std::pair<std::string, std::string>;  // (name, value)

// Each key once, in no particular order.
std::vector<IndexKeyName> index_keys_of(schema::Entry::Reader e);

}  // namespace closebook::verify
