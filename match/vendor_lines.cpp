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

// The same day `months` months earlier, clamped to that month's last day.
Date months_before(const Date& d, int months) {
  int total = d.year * 12 + (d.month - 1) - months;
  Date out;
  out.year = total / 12;
  if (out.year < Date::kYearMin) return Date{Date::kYearMin, 1, 1};  // a cycle no older than dates go
  out.month = static_cast<uint8_t>(total % 12 + 1);
  out.day = static_cast<uint8_t>(std::min<int>(d.day, Date::days_in_month(out.year, out.month)));
  return out;
}

}  // namespace

int64_t VendorLine::cycle_days() const {
  // The cycle ends on `end`; it began the same day of the month, `months_per_cycle` months
  // earlier, the day after (Partner Center's anniversary cycles: 10/15–11/14).
  const Date next = Date::from_days(end.days_since_epoch() + 1);
  const Date begin = months_before(next, months_per_cycle());
  return next.days_since_epoch() - begin.days_since_epoch();
}

Result<VendorLine> vendor_line(const DecodedEntry& e) {
  auto l = e.reader().getKind().getInvoiceLine();
  VendorLine v;
  v.ref = Ref{e.reader().getIndex(), e.hash()};
  v.file = hash_of(l.getSource().getFileSha256());
  v.vendor = text_of(l.getVendor());
  v.format = text_of(l.getFormat());
  CB_TRY(const Format* format, format_of_line(v.format));
  v.arithmetic = &format->arithmetic;
  v.invoice = text_of(l.getInvoiceNumber());
  v.tenant_ref = text_of(l.getTenantRef());
  v.name = text_of(l.getCustomerName());
  v.domain = text_of(l.getCustomerDomain());
  v.mpn = text_of(l.getResellerMpnId());
  v.order_id = text_of(l.getOrderId());
  v.subscription = text_of(l.getSubscriptionId());
  v.sku = text_of(l.getSkuId());
  v.charge = text_of(l.getChargeType());
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
  // amount or a refunding charge type: any of the three makes the quantity negative.
  const bool refund = v.subtotal.sign() < 0 || v.charge == "removequantity" || v.charge == "cancelimmediate";
  if (refund && v.quantity.sign() > 0) v.quantity = v.quantity.negated();
  v.billable = billable ? *billable : v.quantity;
  if (refund && v.billable.sign() > 0) v.billable = v.billable.negated();
  return v;
}

Result<Decimal> billing_unit(const VendorLine& l, const Decimal& unit, const Decimal& rate) {
  CB_TRY(Decimal converted, unit.mul(rate));
  if (l.arithmetic->unit_cut_to_cents) return converted.round(kAmountScale, Rounding::kDown);
  return converted;
}

Result<Decimal> line_amount(const VendorLine& l, const Decimal& unit_bc, const Decimal& quantity) {
  CB_TRY(Decimal exact, unit_bc.mul(quantity));
  return exact.round(kAmountScale, l.arithmetic->amount_rounding);
}

Result<Decimal> amount_at(const VendorLine& l, const Decimal& cycle_unit, const Decimal& rate) {
  const Decimal& quantity = l.billed_quantity();
  if (!l.partial_cycle() || l.quantity_prorated()) {
    CB_TRY(Decimal unit_bc, billing_unit(l, cycle_unit, rate));
    return line_amount(l, unit_bc, quantity);
  }
  // The vendor prorated the unit price by days: the book price prorated by the same days.
  CB_TRY(Decimal unit_days, cycle_unit.mul(Decimal::from_int(l.window_days())));
  CB_TRY(Decimal prorated, unit_days.div(Decimal::from_int(l.cycle_days()), kShareScale, Rounding::kHalfEven));
  CB_TRY(Decimal unit_bc, billing_unit(l, prorated, rate));
  return line_amount(l, unit_bc, quantity);
}

std::string charge_key(const std::string& vendor, const std::string& subscription, const std::string& tenant,
                       const std::string& sku) {
  return subscription.empty() ? vendor + "|~" + tenant + "|" + sku : vendor + "|" + subscription;
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
