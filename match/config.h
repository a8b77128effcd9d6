// Close configuration: match tolerances and, per exception category, who owns it, when it is
// due, how severe it is and whether it blocks sign-off. See docs/matching.md §4.
//
// Read from --config FILE, else $CLOSEBOOK_CONFIG, else DIR/closebook.json when it exists;
// otherwise the built-in defaults below. JSON, strict: unknown keys are refused.
//   {"tolerance": "0.01", "fx_tolerance_bps": 10,
//    "exceptions": {"NO_PRICING_RULE": {"owner": "pricing", "due_days": 3,
//                                       "severity": "high", "blocking": true}, ...},
//    "signoff_signatures": 2,
//    "feeds": {"dropsuite": {"cadence": "monthly"}},
//    "journal": {"revenue": "200", ..., "organisations": [...]}}  (match/gl_config.h)
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "evidence/decimal.h"
#include "evidence/entry.h"
#include "evidence/result.h"
#include "match/gl_config.h"

namespace closebook::match {

using Category = schema::Category;
using Severity = schema::Exception::Severity;

// "UNBILLED_USAGE" etc., as in docs/matching.md §4.
const char* category_name(Category category);
Result<Category> parse_category(std::string_view name);

struct CategoryPolicy {
  std::string owner;
  int due_days = 5;  // after the period's last day, so due dates are deterministic
  Severity severity = Severity::MEDIUM;
  bool blocking = false;
};

// How often a vendor's usage feed reports seat counts, so which days one count stands for
// (docs/matching.md §3). Recorded on each priced line as its name.
enum class Cadence { DAILY, WEEKLY, MONTHLY };

// "daily", "weekly", "monthly".
const char* cadence_name(Cadence cadence);
Result<Cadence> parse_cadence(std::string_view name);

// Who issues the partner invoices, as an Australian tax invoice must name them (the ATO: the
// supplier's identity and ABN). From `"seller": {"name", "abn"[, "address"]}`; unset by default.
struct Seller {
  std::string name, address;
  std::string abn;  // 11 digits, grouped "51 824 753 556"; its ATO check digits verified
};

// Whether an ABN's digits pass the ATO's check (subtract 1 from the first digit, weight the
// digits 10, 1, 3, 5, ..., 19, and the sum divides by 89): the ABN grouped "NN NNN NNN NNN".
Result<std::string> parse_abn(std::string_view text);

struct CloseConfig {
  Decimal tolerance = Decimal::parse("0.01").value();  // per line, in billing currency
  uint32_t fx_tolerance_bps = 10;  // vendor rate vs the period lock, basis points
  std::map<Category, CategoryPolicy> policies;  // every category has one
  JournalConfig journal;  // docs/close.md §5
  uint32_t signoff_signatures = 1;  // distinct finance keys a sign-off needs (N of the M registered)
  // How often each vendor's usage feed reports seat counts, by lower-case vendor name. A
  // vendor not named is daily; the defaults name the backup vendors, whose feeds are monthly
  // seat reports (docs/matching.md §3).
  std::map<std::string, Cadence> cadences;
  Seller seller;  // empty name: not configured

  Cadence cadence(const std::string& vendor) const;

  const CategoryPolicy& policy(Category category) const;
  static CloseConfig defaults();
  // Reads and checks a config file; values it omits keep their defaults.
  static Result<CloseConfig> parse(const std::string& file_name, std::string_view json);
};

}  // namespace closebook::match
