#include "verify/index_keys.h"

#include <algorithm>

#include "evidence/hash.h"

namespace closebook::verify {
namespace {

std::string text(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }
std::string hex(capnp::Data::Reader d) { return to_hex(Bytes(d.begin(), d.size())); }
std::string cited(schema::EntryRef::Reader r) { return std::to_string(r.getIndex()); }

class Keys {
 public:
  void add(const char* name, std::string value) {
    if (!value.empty()) keys_.emplace_back(name, std::move(value));
  }
  void period_of(capnp::Text::Reader date) {
    if (date.size() >= 7) add("period", text(date).substr(0, 7));
  }
  std::vector<IndexKeyName> take(const std::string& kind) {
    std::vector<IndexKeyName> by_kind;  // each period and cites key again, with the entry's kind
    for (const auto& [name, value] : keys_) {
      if (name == "period") by_kind.emplace_back("period_kind", value + "/" + kind);
      if (name == "cites") by_kind.emplace_back("cites_kind", value + "/" + kind);
    }
    keys_.insert(keys_.end(), by_kind.begin(), by_kind.end());
    std::sort(keys_.begin(), keys_.end());
    keys_.erase(std::unique(keys_.begin(), keys_.end()), keys_.end());
    return std::move(keys_);
  }

 private:
  std::vector<IndexKeyName> keys_;
};

}  // namespace

std::vector<IndexKeyName> index_keys_of(schema::Entry::Reader e) {
  using K = schema::Entry::Kind;
  const std::string kind_text = kind_name(e);
  Keys keys;
  keys.add("kind", kind_text);
  auto k = e.getKind();
  switch (k.which()) {
    case K::KEY_EVENT: keys.add("key", hex(k.getKeyEvent().getKeyId())); break;
    case K::INGEST: keys.add("file", hex(k.getIngest().getFileSha256())); break;
    case K::PARTNER: keys.add("partner", text(k.getPartner().getPartnerId())); break;
    case K::TENANT_EDGE: {
      auto t = k.getTenantEdge();
      keys.add("tenant", text(t.getTenantId()));
      keys.add("partner", text(t.getPartnerId()));
      keys.add("identity", text(t.getVendor()) + "|" + std::to_string(static_cast<uint16_t>(t.getIdType())) + "|" + text(t.getIdValue()));
      break;
    }
    case K::RULE_VERSION: keys.add("rule", text(k.getRuleVersion().getRuleId())); break;
    case K::FX_RATE: keys.add("fx", text(k.getFxRate().getBase()) + "/" + text(k.getFxRate().getQuote())); break;
    case K::INVOICE_LINE: {
      auto l = k.getInvoiceLine();
      keys.add("vendor-invoice", text(l.getInvoiceNumber()));
      keys.add("subscription", text(l.getSubscriptionId()));
      keys.period_of(l.getPeriod());
      break;
    }
    case K::USAGE_RECORD:
      keys.add("subscription", text(k.getUsageRecord().getSubscriptionId()));
      keys.period_of(k.getUsageRecord().getUsageDate());
      break;
    case K::PRICED_LINE: {
      auto l = k.getPricedLine();
      keys.add("line", text(l.getLineId()));
      keys.add("partner", text(l.getPartnerId()));
      keys.add("tenant", text(l.getTenantId()));
      keys.period_of(l.getPeriod());
      break;
    }
    case K::FX_LOCK: keys.period_of(k.getFxLock().getPeriod()); break;
    case K::SIGN_OFF_SUMMARY: keys.period_of(k.getSignOffSummary().getPeriod()); break;
    case K::LINE_COST: break;
    case K::MATCH_RUN: keys.period_of(k.getMatchRun().getPeriod()); break;
    case K::SIGN_OFF: keys.period_of(k.getSignOff().getPeriod()); break;
    case K::PERIOD_REOPEN: keys.period_of(k.getPeriodReopen().getPeriod()); break;
    case K::JOURNAL_POSTING: keys.period_of(k.getJournalPosting().getPeriod()); break;
    case K::POSTING_ACK: keys.period_of(k.getPostingAck().getPeriod()); break;
    case K::MATCH_RESULT:
      keys.period_of(k.getMatchResult().getPeriod());
      for (auto r : k.getMatchResult().getPricedLines()) keys.add("cites", cited(r));
      break;
    case K::EXCEPTION: {
      auto x = k.getException();
      keys.add("exception", text(x.getExceptionId()));
      keys.add("partner", text(x.getPartnerId()));
      keys.add("tenant", text(x.getTenantId()));
      keys.period_of(x.getPeriod());
      for (auto r : x.getEvidence()) keys.add("cites", cited(r));
      break;
    }
    case K::EXCEPTION_UPDATE: keys.add("exception", text(k.getExceptionUpdate().getExceptionId())); break;
    case K::CREDIT: {
      auto c = k.getCredit();
      keys.add("credit", text(c.getCreditId()));
      keys.add("partner", text(c.getPartnerId()));
      keys.period_of(c.getPeriod());
      for (auto id : c.getLineIds()) keys.add("line", text(id));
      break;
    }
    case K::INVOICE: {
      auto i = k.getInvoice();
      keys.add("invoice", text(i.getInvoiceId()));
      keys.add("partner", text(i.getPartnerId()));
      keys.period_of(i.getPeriod());
      for (auto item : i.getItems()) keys.add("cites", cited(item.getLine()));
      for (auto chunk : i.getChunks()) keys.add("cites", cited(chunk));
      break;
    }
    case K::INVOICE_CHUNK: {
      auto c = k.getInvoiceChunk();
      keys.add("invoice", text(c.getInvoiceId()));
      keys.period_of(c.getPeriod());
      for (auto item : c.getItems()) keys.add("cites", cited(item.getLine()));
      break;
    }
    case K::DISPUTE: {
      auto d = k.getDispute();
      keys.add("dispute", text(d.getDisputeId()));
      keys.add("partner", text(d.getPartnerId()));
      keys.add("line", text(d.getLineId()));
      keys.add("cites", cited(d.getLine()));
      break;
    }
  }
  return keys.take(kind_text);
}

}  // namespace closebook::verify
