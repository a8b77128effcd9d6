#include "close/dispute.h"

#include "close/lineage.h"
#include "match/fields.h"
#include "match/findings.h"

namespace closebook::close {
namespace {

using match::Ref;
using match::text_of;

// match::kIdBytes of SHA-256: a collision between two different disputes is beyond reach (and would
// be refused, never merged: plan_dispute compares the recorded fields).
std::string dispute_id(const std::string& period, const DisputeRequest& r) {
  const Hash h = sha256(r.partner_id + "\n" + r.line_id + "\n" + r.amount.to_string() + "\n" + r.reason);
  return "DSP-" + period + "-" + to_hex(Bytes(h.data(), match::kIdBytes));
}

// The same dispute: what the id was made from, as recorded.
bool same_dispute(schema::Dispute::Reader d, const DisputeRequest& r) {
  return text_of(d.getPartnerId()) == r.partner_id && text_of(d.getLineId()) == r.line_id &&
         text_of(d.getAmount()) == r.amount.to_string() && text_of(d.getReason()) == r.reason;
}

Status check_reason(const std::string& reason) {
  if (reason.empty() || reason.size() > kDisputeReasonBytesMax) {
    return Error::invalid("must be 1 to " + std::to_string(kDisputeReasonBytesMax) + " bytes").in_field("reason");
  }
  for (unsigned char c : reason) {
    if (c < 0x20 && c != '\n' && c != '\t') return Error::invalid("must not hold control characters").in_field("reason");
  }
  return {};
}

// The finding that becomes the DISPUTE exception: the line's view against the partner's claim.
match::Finding dispute_finding(const std::string& id, const DisputeRequest& request,
                               schema::PricedLine::Reader line, const Ref& line_ref) {
  match::Finding f;
  f.category = match::Category::DISPUTE;
  f.vendor = text_of(line.getVendor());
  f.partner_id = request.partner_id;
  f.tenant_id = text_of(line.getTenantId());
  f.subscription_id = text_of(line.getSubscriptionId());
  f.sku_id = text_of(line.getSkuId());
  f.subject = id;
  f.legs.push_back({"priced", text_of(line.getQuantity()), text_of(line.getSellUnitPrice()),
                    text_of(line.getSellAmount()), request.line_id});
  f.legs.push_back({"dispute", "", "", request.amount.to_string(), request.reason});
  f.delta = request.amount.negated().to_string();  // what the partner says it was overcharged
  f.currency = text_of(line.getCurrency());
  f.summary = "partner " + request.partner_id + " disputes " + request.amount.to_string() + " " + f.currency +
              " on " + request.line_id + ": " + request.reason.substr(0, 200);
  // The line and the dispute, not the line's whole lineage: the lineage holds every earlier
  // dispute's exception, so each dispute would grow the next (500 made a 45 MB list).
  f.evidence.push_back(line_ref);
  f.evidence_in_batch.push_back(0);  // the Dispute entry
  return f;
}

}  // namespace

Result<DisputePlan> plan_dispute(const ledger::Snapshot& snapshot, const DisputeRequest& request_in,
                                 const match::CloseConfig& config) {
  CB_CHECK(check_reason(request_in.reason));
  if (request_in.amount.sign() <= 0) return Error::invalid("must be more than zero").in_field("amount");
  // In cents, so "10", "10.0" and "10.00" are one amount and one dispute.
  auto cents = request_in.amount.rescale(2);
  if (!cents.ok()) return Error::invalid("must be in cents: at most two decimal places").in_field("amount");
  DisputeRequest request = request_in;
  request.amount = *cents;
  auto found = current_priced_line(snapshot, request.line_id);
  if (!found.ok()) return std::move(found).error().in_field("line_id");
  const DecodedEntry& line_entry = *found;
  auto line = line_entry.reader().getKind().getPricedLine();
  if (text_of(line.getPartnerId()) != request.partner_id) {
    return Error::not_found("no priced line " + request.line_id).in_field("line_id");  // no existence leak
  }
  const std::string currency = text_of(line.getCurrency());
  if (!request.currency.empty() && request.currency != currency) {
    return Error::invalid("the line is billed in " + currency + ", not " + request.currency).in_field("currency");
  }
  CB_TRY(Decimal sell, match::decimal_of(line.getSellAmount()));
  if (request.amount > sell) {
    return Error::invalid("the line's sell amount is " + sell.to_string() + " " + currency + "; a dispute cannot exceed it")
        .in_field("amount");
  }
  DisputePlan plan;
  plan.period = text_of(line.getPeriod());
  plan.amount = request.amount.to_string();
  plan.dispute_id = dispute_id(plan.period, request);
  CB_TRY(std::vector<uint64_t> existing, snapshot.lookup("dispute", plan.dispute_id));
  const match::Finding finding =
      dispute_finding(plan.dispute_id, request, line, Ref{line_entry.reader().getIndex(), line_entry.hash()});
  plan.exception_id = match::exception_id(plan.period, finding);
  if (!existing.empty()) {
    CB_TRY(DecodedEntry recorded, snapshot.entry(existing.front()));
    if (!same_dispute(recorded.reader().getKind().getDispute(), request)) {
      return Error::conflict("dispute id " + plan.dispute_id + " is taken by another dispute (entry " +
                             std::to_string(existing.front()) + ")");
    }
    plan.recorded_at = existing.front();
    return plan;
  }
  ledger::Draft dispute;
  dispute.entry().setEffective(plan.period);
  auto d = dispute.entry().getKind().initDispute();
  d.setDisputeId(plan.dispute_id);
  d.setPartnerId(request.partner_id);
  match::set_ref(d.initLine(), Ref{line_entry.reader().getIndex(), line_entry.hash()});
  d.setLineId(request.line_id);
  d.setReason(request.reason);
  d.setAmount(request.amount.to_string());
  d.setCurrency(currency);
  d.setRaisedBy(request.raised_by);
  plan.drafts.push_back(std::move(dispute));
  plan.drafts.push_back(match::exception_draft(plan.period, finding, config));
  return plan;
}

Result<std::vector<DisputeView>> list_disputes(const ledger::Snapshot& snapshot, const std::string& partner_id,
                                               const std::string& period) {
  CB_TRY(std::vector<uint64_t> indexes, snapshot.lookup("kind", "dispute"));
  std::vector<DisputeView> out;
  for (uint64_t i : indexes) {
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    auto d = e.reader().getKind().getDispute();
    DisputeView v{Ref{i, e.hash()}, text_of(d.getDisputeId()), text_of(d.getPartnerId()), text_of(d.getLineId()),
                  text_of(e.reader().getEffective()), text_of(d.getReason()), text_of(d.getAmount()),
                  text_of(d.getCurrency()), text_of(d.getRaisedBy()), "", e.reader().getRecordedAt()};
    if (!partner_id.empty() && v.partner_id != partner_id) continue;
    if (!period.empty() && v.period != period) continue;
    match::Finding subject;
    subject.category = match::Category::DISPUTE;
    subject.subject = v.dispute_id;
    v.exception_id = match::exception_id(v.period, subject);
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace closebook::close
