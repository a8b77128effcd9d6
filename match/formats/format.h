// A vendor feed format: how its files read (columns and a row builder) and the vendor's own
// arithmetic, which the match applies to the format's lines instead of testing for a vendor.
// One file per format in match/formats/; registry.cpp lists them, and the CLI's --format, its
// help and the fuzz targets read that list. docs/matching.md §1 documents each.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/date.h"
#include "evidence/decimal.h"
#include "evidence/entry.h"
#include "evidence/result.h"
#include "ledger/ledger.h"
#include "match/csv.h"

namespace closebook::match {

struct FeedOptions;

// One row being turned into its entry.
struct RowContext {
  const csv::RowReader& row;
  const FeedOptions& options;
  ledger::Draft& draft;
};

// What a vendor's charge type means to the match (docs/matching.md §1, §8.1). The format
// says it, so the match reads a line's meaning from its format, never from a vendor's name.
enum class ChargeRole {
  kCycle,   // one charge per billing cycle (new, renew, cycleCharge): a second over the same days is a duplicate
  kChange,  // a change within a cycle (addQuantity, removeQuantity, moveQuantity, convert): its
            // sign is its amount's, so a refund line (negative amount) counts negative
  kRefund,  // gives seats back (cancel, cancelImmediate): its quantity counts negative whatever its sign
  kCredit,  // money, not seats (customerCredit): never a quantity, never carried into another period
  kUsage,   // consumption billed after the fact: the quantity is a total, not seats per day
};

struct ChargeType {
  std::string_view name;     // lower-case, as stored on the line
  ChargeRole role;
  bool whole_cycle = false;  // always charges a whole billing cycle (renew, cycleCharge): its window is the cycle
  std::string_view meaning;  // the vendor's documented meaning, for --help and the docs
};

// How the vendor computes and identifies what it bills (docs/matching.md §2).
struct VendorArithmetic {
  // The unit price in the billing currency is cut to cents (Partner Center:
  // ROUNDDOWN(EffectiveUnitPrice × PCToBCExchangeRate, 2)); false keeps it exact.
  bool unit_cut_to_cents = false;
  // How a line's amount is rounded to cents.
  Rounding amount_rounding = Rounding::kHalfUp;
  // The vendor multiplies a prorated billable quantity (Partner Center's BillableQuantity),
  // not the quantity.
  bool bills_billable_quantity = false;
  // The line names its customer by id, then domain, then name (Partner Center); otherwise by
  // one reference of unknown type.
  bool customer_id_domain_name = false;
  // Usage-based lines (InvoiceLine.usageBased: Partner Center's Azure plan meters) are valued
  // ROUNDDOWN(ROUNDDOWN(EffectiveUnitPrice × BillableQuantity, 2) × PCToBCExchangeRate, 2):
  // the amount in the pricing currency is cut to cents before it is converted, the unit never.
  bool usage_cut_before_fx = false;
  // The format's charge types and what each means to the match.
  std::span<const ChargeType> charge_types;
  // A charge type not in `charge_types` refuses the file (Partner Center); false: the line is
  // read as a change within a cycle, its sign its amount's (the generic layout's free text).
  bool charge_types_closed = false;
};

// What `charge` (lower-case) means under `arithmetic`; null when the format does not list it.
const ChargeType* find_charge_type(const VendorArithmetic& arithmetic, std::string_view charge);

struct Format {
  std::string_view name;     // what --format takes and each line's `format` records
  std::string_view summary;  // one line for --help
  schema::Ingest::Source source;
  const std::vector<csv::ColumnSpec>& (*columns)();
  Status (*build)(const RowContext&);
  VendorArithmetic arithmetic;
};

// Every format closebook reads, in the order --help lists them.
const std::vector<const Format*>& formats();
// The shipped format named `name` (asserted: for code that names one it ships).
const Format& format(std::string_view name);
// A line's recorded format; Corruption for one this closebook does not know.
Result<const Format*> format_of_line(std::string_view name);

// Row helpers the formats share (match/formats/rows.cpp).
namespace rows {
// The line's period: the --period given, else the month its charge starts.
std::string line_period(const FeedOptions& options, const Date& start);
// A charge window [start, end], inclusive, read from two date columns; the end may not precede the start.
struct Window {
  Date start;
  Date end;
};
Result<Window> window(const csv::RowReader& row, std::string_view start_column, std::string_view end_column);
// The days of the billing cycle of `months` months that ends on `end` (anniversary cycles).
int64_t cycle_days(const Date& end, int months);
std::string text(const csv::RowReader& row, std::string_view column);
// A decimal in its canonical text (evidence/entry.capnp conventions); empty when optional and blank.
Result<std::string> decimal_text(const csv::RowReader& row, std::string_view column);
Result<std::string> optional_decimal_text(const csv::RowReader& row, std::string_view column);
}  // namespace rows

}  // namespace closebook::match
