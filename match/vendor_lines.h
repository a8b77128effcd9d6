// A vendor invoice line as pricing and the three-way match read it, with the vendor's own
// arithmetic: how it converts a unit price, rounds a line, prorates a partial cycle and
// which charges are one per cycle (docs/matching.md §8.1).
#pragma once

#include <optional>
#include <string>

#include "evidence/date.h"
#include "evidence/decimal.h"
#include "match/formats/format.h"
#include "ledger/ledger.h"
#include "match/findings.h"
#include "match/tenants.h"

namespace closebook::match {

struct VendorLine {
  Ref ref;
  Hash file{};
  std::string vendor, format, invoice, tenant_ref, name, domain, mpn, order_id, subscription, sku;
  std::string charge, frequency, currency, pricing_currency, period;
  Date start, end;
  Decimal quantity;  // signed: negative on a refund
  Decimal billable;  // NCE BillableQuantity (prorated); the quantity otherwise
  Decimal unit;      // per unit, pricing currency: EffectiveUnitPrice, else UnitPrice
  Decimal subtotal;  // billing currency
  Decimal rate;      // pricing → billing currency; 1 when they are the same
  std::optional<TenantMatch> tenant;
  bool copy = false;  // the same charge as an earlier line: a duplicate, counted once

  const VendorArithmetic* arithmetic = nullptr;  // the line's format's (match/formats/), never null once read
  // What the line's charge type means, from its format's table (ChargeRole in match/formats/format.h).
  ChargeRole role = ChargeRole::kChange;
  bool usage_based = false;  // InvoiceLine.usageBased: valued by the vendor's usage formula, never prorated
  bool credit() const { return role == ChargeRole::kCredit; }
  // Consumption: its quantity is a total, not seats on each day (a generic "usage" line, a Partner Center meter).
  bool consumption() const { return role == ChargeRole::kUsage || usage_based; }
  // The quantity the vendor's formula multiplies: Partner Center's prorated BillableQuantity.
  const Decimal& billed_quantity() const { return arithmetic->bills_billable_quantity ? billable : quantity; }
  // One charge per billing cycle of a subscription: a second over the same days is a duplicate.
  bool per_cycle() const { return role == ChargeRole::kCycle; }
  int64_t window_days() const { return end.days_since_epoch() - start.days_since_epoch() + 1; }
  // A NCE charge is per billing cycle; the price book is per month.
  int months_per_cycle() const {
    if (frequency == "annual") return 12;
    if (frequency == "triennial") return 36;
    return 1;
  }
  // The days of the whole billing cycle that ends on the line's last day: a line charging
  // fewer (a mid-cycle new, addQuantity, removeQuantity, cancelImmediate, convert) is a
  // prorated share of the cycle.
  int64_t cycle_days() const;
  // A usage-based line is consumption over its window, never a share of a cycle.
  bool partial_cycle() const { return !usage_based && window_days() < cycle_days(); }
  // The vendor prorated the quantity (BillableQuantity below Quantity), not the unit price.
  bool quantity_prorated() const { return billable.abs() < quantity.abs(); }
};

Result<VendorLine> vendor_line(const DecodedEntry& e);

// The vendor's unit price in its billing currency for `unit` in the pricing currency:
// cut to cents when the line's format says the vendor does (Partner Center:
// ROUNDDOWN(EffectiveUnitPrice × PCToBCExchangeRate, 2)), else exact; exact on a usage-based
// line, whose vendor converts the amount, not the unit.
Result<Decimal> billing_unit(const VendorLine& l, const Decimal& unit, const Decimal& rate);

// What the vendor bills for `unit_bc` × `quantity` on the line, by its own formula: Partner
// rounded to cents as the line's format says (Partner Center: toward zero; generic: half-up).
Result<Decimal> line_amount(const VendorLine& l, const Decimal& unit_bc, const Decimal& quantity);

// What the vendor bills for `unit` (pricing currency) × `quantity` converted at `rate`, by its
// own formula for the line: licence-based, line_amount(billing_unit(unit, rate), quantity);
// usage-based where the format says so (Partner Center), ROUNDDOWN(ROUNDDOWN(unit × quantity, 2)
// × rate, 2) — the amount cut to cents in the pricing currency, then converted and cut again.
Result<Decimal> vendor_amount(const VendorLine& l, const Decimal& unit, const Decimal& rate, const Decimal& quantity);

// What the line would come to at `cycle_unit` (per cycle, pricing currency) converted at
// `rate`, prorated as the vendor prorates this line: by BillableQuantity when the vendor
// prorates the quantity, else by the unit price (cycle_unit × days ÷ cycle days), else whole.
Result<Decimal> amount_at(const VendorLine& l, const Decimal& cycle_unit, const Decimal& rate);

// Where a vendor's lines and usage meet (the match's key, pricing's valuation): the vendor's
// subscription, else the tenant (or vendor identity) and SKU when the feed has no subscription.
// Consumption keys by SKU within its subscription too: an Azure plan is one subscription of
// many meters, each compared on its own (docs/matching.md §8.1).
std::string charge_key(const std::string& vendor, const std::string& subscription, const std::string& tenant,
                       const std::string& sku, bool consumption);

// What makes two lines the same charge: every field the vendor bills by, the line and
// invoice numbers aside.
std::string charge_signature(const VendorLine& l);

}  // namespace closebook::match
