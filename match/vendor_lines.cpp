#include "match/vendor_lines.h"

#include <algorithm>

#include "match/fields.h"

namespace closebook::match {
namespace {

constexpr int kAmountScale = 2;
constexpr int kShareScale = 12;  // an exact share before its amount is rounded

// Decimal text without trailing fractional zeros: "1429.250" and "1429.25" are one amount.
std::string plain(const Decimal& d) {
  std::string t = d.to_string();
  if (t.find('.') == std::string::npos) return t;
  while (t.back() == '0') t.pop_back();
  if (t.back() == '.') t.pop_back();
  return t;
}

// The vendor values this line by its usage formula (Partner Center's Azure plan meters).
bool usage_formula(const VendorLine& l) { return l.usage_based && l.arithmetic->usage_cut_before_fx; }

}  // namespace

int64_t VendorLine::cycle_days() const { return rows::cycle_days(end, months_per_cycle()); }

Result<VendorLine> vendor_line(const DecodedEntry& e) {
  auto l = e.reader().getKind().getInvoiceLine();
  VendorLine v;
  v.ref = Ref{e.reader().getIndex(), e.hash()};
  v.file = hash_of(l.getSource().getFileSha256());
  v.vendor = text_of(l.getVendor());
  v.format = text_of(l.getFormat());
  CB_TRY(const Format* format, format_of_line(v.format));
  v.arithmetic = &format->arithmetic;
  v.usage_based = l.getUsageBased();
  v.invoice = text_of(l.getInvoiceNumber());
  v.tenant_ref = text_of(l.getTenantRef());
  v.name = text_of(l.getCustomerName());
  v.domain = text_of(l.getCustomerDomain());
  v.mpn = text_of(l.getResellerMpnId());
  v.order_id = text_of(l.getOrderId());
  v.subscription = text_of(l.getSubscriptionId());
  v.sku = text_of(l.getSkuId());
  v.charge = text_of(l.getChargeType());
  if (const ChargeType* type = find_charge_type(*v.arithmetic, v.charge)) {
    v.role = type->role;
  } else if (v.arithmetic->charge_types_closed) {
    return Error::corruption("a " + v.format + " line records the charge type \"" + v.charge +
                             "\", which that format does not know");
  }
  v.frequency = text_of(l.getBillingFrequency());
  v.currency = text_of(l.getCurrency());
  v.pricing_currency = l.getPricingCurrency().size() != 0 ? text_of(l.getPricingCurrency()) : v.currency;
  v.period = text_of(l.getPeriod());
  CB_TRY(v.start, Date::parse(text_of(l.getChargeStartDate())));
  CB_TRY(v.end, Date::parse(text_of(l.getChargeEndDate())));
  CB_TRY(v.quantity, decimal_of(l.getQuantity()));
  CB_TRY(v.subtotal, decimal_of(l.getSubtotal()));
  CB_TRY(auto billable, optional_decimal_of(l.getBillableQuantity()));
  CB_TRY(auto effective, optional_decimal_of(l.getEffectiveUnitPrice()));
  if (effective) {
    v.unit = *effective;
  } else {
    CB_TRY(v.unit, decimal_of(l.getUnitPrice()));
  }
  CB_TRY(auto rate, optional_decimal_of(l.getFxRate()));
  v.rate = rate ? *rate : Decimal::from_int(1);
  // Vendors write refunds as negative quantities, or as positive quantities with a negative
  // amount or a refunding charge type (the format's ChargeRole::kRefund: Partner Center's
  // cancel, cancelImmediate): any of the three makes the quantity negative. A change within a
  // cycle (addQuantity, removeQuantity) is signed by its amount: Partner Center writes both the
  // refund of the original purchase and the charge for the new quantity under one type.
  const bool refund = v.subtotal.sign() < 0 || v.role == ChargeRole::kRefund;
  if (refund && v.quantity.sign() > 0) v.quantity = v.quantity.negated();
  v.billable = billable ? *billable : v.quantity;
  if (refund && v.billable.sign() > 0) v.billable = v.billable.negated();
  // A meter's consumption is its BillableQuantity ("use BillableQuantity for reconciliation").
  if (v.usage_based) v.quantity = v.billable;
  return v;
}

Result<Decimal> billing_unit(const VendorLine& l, const Decimal& unit, const Decimal& rate) {
  CB_TRY(Decimal converted, unit.mul(rate));
  if (l.arithmetic->unit_cut_to_cents && !usage_formula(l)) return converted.round(kAmountScale, Rounding::kDown);
  return converted;
}

Result<Decimal> vendor_amount(const VendorLine& l, const Decimal& unit, const Decimal& rate, const Decimal& quantity) {
  if (usage_formula(l)) {
    CB_TRY(Decimal exact, unit.mul(quantity));
    CB_TRY(Decimal cut, exact.round(kAmountScale, Rounding::kDown));
    CB_TRY(Decimal converted, cut.mul(rate));
    return converted.round(kAmountScale, Rounding::kDown);
  }
  CB_TRY(Decimal unit_bc, billing_unit(l, unit, rate));
  return line_amount(l, unit_bc, quantity);
}

Result<Decimal> line_amount(const VendorLine& l, const Decimal& unit_bc, const Decimal& quantity) {
  CB_TRY(Decimal exact, unit_bc.mul(quantity));
  return exact.round(kAmountScale, l.arithmetic->amount_rounding);
}

Result<Decimal> amount_at(const VendorLine& l, const Decimal& cycle_unit, const Decimal& rate) {
  const Decimal& quantity = l.billed_quantity();
  if (!l.partial_cycle() || l.quantity_prorated()) return vendor_amount(l, cycle_unit, rate, quantity);
  // The vendor prorated the unit price by days: the book price prorated by the same days.
  CB_TRY(Decimal unit_days, cycle_unit.mul(Decimal::from_int(l.window_days())));
  CB_TRY(Decimal prorated, unit_days.div(Decimal::from_int(l.cycle_days()), kShareScale, Rounding::kHalfEven));
  CB_TRY(Decimal unit_bc, billing_unit(l, prorated, rate));
  return line_amount(l, unit_bc, quantity);
}

std::string charge_key(const std::string& vendor, const std::string& subscription, const std::string& tenant,
                       const std::string& sku, bool consumption) {
  if (subscription.empty()) return vendor + "|~" + tenant + "|" + sku;
  return consumption ? vendor + "|" + subscription + "|" + sku : vendor + "|" + subscription;
}

std::string charge_signature(const VendorLine& l) {
  std::string out;
  for (const std::string& field : {l.vendor, l.tenant_ref, l.subscription, l.sku, l.charge, l.start.to_iso(),
                                   l.end.to_iso(), plain(l.quantity), plain(l.billable), plain(l.unit),
                                   plain(l.subtotal), l.order_id, l.currency}) {
    out += std::to_string(field.size()) + ":" + field;  // length-prefixed: no value runs into the next
  }
  return out;
}

}  // namespace closebook::match
