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
  bool credit() const { return charge == "customercredit"; }
  // The quantity the vendor's formula multiplies: Partner Center's prorated BillableQuantity.
  const Decimal& billed_quantity() const { return arithmetic->bills_billable_quantity ? billable : quantity; }
  // One charge per billing cycle of a subscription: a second over the same days is a duplicate.
  bool per_cycle() const { return charge == "cyclecharge" || charge == "renew" || charge == "new"; }
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
  bool partial_cycle() const { return window_days() < cycle_days(); }
  // The vendor prorated the quantity (BillableQuantity below Quantity), not the unit price.
  bool quantity_prorated() const { return billable.abs() < quantity.abs(); }
};

Result<VendorLine> vendor_line(const DecodedEntry& e);

// The vendor's unit price in its billing currency for `unit` in the pricing currency:
// cut to cents when the line's format says the vendor does (Partner Center:
// ROUNDDOWN(EffectiveUnitPrice × PCToBCExchangeRate, 2)), else exact.
Result<Decimal> billing_unit(const VendorLine& l, const Decimal& unit, const Decimal& rate);

// What the vendor bills for `unit_bc` × `quantity` on the line, by its own formula: Partner
// rounded to cents as the line's format says (Partner Center: toward zero; generic: half-up).
Result<Decimal> line_amount(const VendorLine& l, const Decimal& unit_bc, const Decimal& quantity);

// What the line would come to at `cycle_unit` (per cycle, pricing currency) converted at
// `rate`, prorated as the vendor prorates this line: by BillableQuantity when the vendor
// prorates the quantity, else by the unit price (cycle_unit × days ÷ cycle days), else whole.
Result<Decimal> amount_at(const VendorLine& l, const Decimal& cycle_unit, const Decimal& rate);

// Where a vendor's lines and usage meet (the match's key, pricing's valuation): the vendor's
// subscription, else the tenant (or vendor identity) and SKU when the feed has no subscription.
std::string charge_key(const std::string& vendor, const std::string& subscription, const std::string& tenant,
                       const std::string& sku);

// What makes two lines the same charge: every field the vendor bills by, the line and
// invoice numbers aside.
std::string charge_signature(const VendorLine& l);

}  // namespace closebook::match
