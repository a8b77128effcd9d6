#include "match/findings.h"

#include "evidence/date.h"

namespace closebook::match {

void set_ref(schema::EntryRef::Builder builder, const Ref& ref) {
  builder.setIndex(ref.index);
  builder.setHash(kj::arrayPtr(ref.hash.data(), ref.hash.size()));
}

Ref ref_of(schema::EntryRef::Reader reader) { return Ref{reader.getIndex(), hash_of(reader.getHash())}; }

std::string exception_id(const std::string& period, const Finding& finding) {
  const std::string name = category_name(finding.category);
  const Hash h = sha256(period + "\n" + name + "\n" + finding.subject);
  return "EX-" + period + "-" + name + "-" + to_hex(Bytes(h.data(), kIdBytes));
}

ledger::Draft exception_draft(const std::string& period, const Finding& finding, const CloseConfig& config) {
  const CategoryPolicy& policy = config.policy(finding.category);
  const Period p = Period::parse(period).value();
  const Date due = Date::from_days(p.last_day().days_since_epoch() + policy.due_days);
  ledger::Draft draft;
  draft.entry().setEffective(period);
  auto e = draft.entry().getKind().initException();
  e.setExceptionId(exception_id(period, finding));
  e.setPeriod(period);
  e.setCategory(finding.category);
  e.setSeverity(policy.severity);
  e.setBlocking(policy.blocking);
  e.setVendor(finding.vendor);
  e.setPartnerId(finding.partner_id);
  e.setTenantId(finding.tenant_id);
  e.setSubscriptionId(finding.subscription_id);
  e.setSkuId(finding.sku_id);
  auto legs = e.initLegs(static_cast<unsigned>(finding.legs.size()));
  for (unsigned i = 0; i < finding.legs.size(); ++i) {
    const FindingLeg& leg = finding.legs[i];
    legs[i].setName(leg.name);
    legs[i].setQuantity(leg.quantity);
    legs[i].setUnitPrice(leg.unit_price);
    legs[i].setAmount(leg.amount);
    legs[i].setDetail(leg.detail);
  }
  e.setDelta(finding.delta);
  e.setCurrency(finding.currency);
  e.setOwner(policy.owner);
  e.setDueDate(due.to_iso());
  const size_t evidence_count = finding.evidence.size() + finding.evidence_in_batch.size();
  auto evidence = e.initEvidence(static_cast<unsigned>(evidence_count));
  unsigned at = 0;
  for (const Ref& ref : finding.evidence) set_ref(evidence[at++], ref);
  for (size_t position : finding.evidence_in_batch) {
    draft.link([i = at++](schema::Entry::Builder en) { return en.getKind().getException().getEvidence()[i]; }, position);
  }
  e.setSummary(finding.summary);
  e.setStatus(schema::ExceptionStatus::OPEN);
  return draft;
}

}  // namespace closebook::match
