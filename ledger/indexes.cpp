#include "ledger/indexes.h"

#include "evidence/hash.h"
#include "evidence/subject_map.h"
#include "ledger/layout.h"

namespace closebook::ledger {
namespace {

class Keys {
 public:
  void add(const char* name, capnp::Text::Reader value) {
    if (value.size() != 0) keys_.push_back({name, std::string(value.cStr(), value.size())});
  }
  void add(const char* name, std::string value) {
    if (!value.empty()) keys_.push_back({name, std::move(value)});
  }
  // ("cites", "<index>"): this entry refers to entry <index>, so what cites a line is a lookup.
  void add_cited(schema::EntryRef::Reader ref) { keys_.push_back({"cites", std::to_string(ref.getIndex())}); }
  // "2026-10-15" and "2026-10" both file under period "2026-10".
  void add_period(capnp::Text::Reader date_or_period) {
    if (date_or_period.size() >= 7) add("period", std::string(date_or_period.cStr(), 7));
  }
  std::vector<IndexKey> take() { return std::move(keys_); }

 private:
  std::vector<IndexKey> keys_;
};

void add_kind_keys(schema::Entry::Reader entry, Keys& keys) {
  using K = schema::Entry::Kind;
  auto kind = entry.getKind();
  switch (kind.which()) {
    case K::KEY_EVENT:
      keys.add("key", to_hex(Bytes(kind.getKeyEvent().getKeyId().begin(),
                                   kind.getKeyEvent().getKeyId().size())));
      break;
    case K::INGEST:
      keys.add("file", to_hex(Bytes(kind.getIngest().getFileSha256().begin(),
                                    kind.getIngest().getFileSha256().size())));
      break;
    case K::PARTNER: keys.add("partner", kind.getPartner().getPartnerId()); break;
    case K::TENANT_EDGE: {
      auto e = kind.getTenantEdge();
      keys.add("tenant", e.getTenantId());
      keys.add("partner", e.getPartnerId());
      keys.add("identity", identity_key(e.getVendor().cStr(), static_cast<uint16_t>(e.getIdType()),
                                        e.getIdValue().cStr()));
      break;
    }
    case K::RULE_VERSION: keys.add("rule", kind.getRuleVersion().getRuleId()); break;
    case K::FX_RATE: {
      auto r = kind.getFxRate();
      keys.add("fx", std::string(r.getBase().cStr()) + "/" + r.getQuote().cStr());
      break;
    }
    case K::INVOICE_LINE: {
      auto l = kind.getInvoiceLine();
      keys.add("vendor-invoice", l.getInvoiceNumber());
      keys.add("subscription", l.getSubscriptionId());
      keys.add_period(l.getPeriod());
      break;
    }
    case K::USAGE_RECORD: {
      auto u = kind.getUsageRecord();
      keys.add("subscription", u.getSubscriptionId());
      keys.add_period(u.getUsageDate());
      break;
    }
    case K::PRICED_LINE: {
      auto l = kind.getPricedLine();
      keys.add("line", l.getLineId());
      keys.add("partner", l.getPartnerId());
      keys.add("tenant", l.getTenantId());
      keys.add_period(l.getPeriod());
      break;
    }
    case K::FX_LOCK: keys.add_period(kind.getFxLock().getPeriod()); break;
    case K::SIGN_OFF_SUMMARY: keys.add_period(kind.getSignOffSummary().getPeriod()); break;
    case K::LINE_COST: break;  // reached from its line's `cost`, never looked up
    case K::MATCH_RUN: keys.add_period(kind.getMatchRun().getPeriod()); break;
    case K::MATCH_RESULT: {
      auto r = kind.getMatchResult();
      keys.add_period(r.getPeriod());
      for (auto ref : r.getPricedLines()) keys.add_cited(ref);
      break;
    }
    case K::EXCEPTION: {
      auto e = kind.getException();
      keys.add("exception", e.getExceptionId());
      keys.add("partner", e.getPartnerId());
      keys.add("tenant", e.getTenantId());
      keys.add_period(e.getPeriod());
      for (auto ref : e.getEvidence()) keys.add_cited(ref);
      break;
    }
    case K::EXCEPTION_UPDATE: keys.add("exception", kind.getExceptionUpdate().getExceptionId()); break;
    case K::SIGN_OFF: keys.add_period(kind.getSignOff().getPeriod()); break;
    case K::PERIOD_REOPEN: keys.add_period(kind.getPeriodReopen().getPeriod()); break;
    case K::CREDIT: {
      auto c = kind.getCredit();
      keys.add("credit", c.getCreditId());
      keys.add("partner", c.getPartnerId());
      keys.add_period(c.getPeriod());
      for (auto id : c.getLineIds()) keys.add("line", id);
      break;
    }
    case K::INVOICE: {
      auto i = kind.getInvoice();
      keys.add("invoice", i.getInvoiceId());
      keys.add("partner", i.getPartnerId());
      keys.add_period(i.getPeriod());
      for (auto item : i.getItems()) keys.add_cited(item.getLine());
      for (auto chunk : i.getChunks()) keys.add_cited(chunk);
      break;
    }
    case K::INVOICE_CHUNK: {
      auto c = kind.getInvoiceChunk();
      keys.add("invoice", c.getInvoiceId());
      keys.add_period(c.getPeriod());
      for (auto item : c.getItems()) keys.add_cited(item.getLine());
      break;
    }
    case K::JOURNAL_POSTING: keys.add_period(kind.getJournalPosting().getPeriod()); break;
    case K::POSTING_ACK: keys.add_period(kind.getPostingAck().getPeriod()); break;
    case K::DISPUTE: {
      auto d = kind.getDispute();
      keys.add("dispute", d.getDisputeId());
      keys.add("partner", d.getPartnerId());
      keys.add("line", d.getLineId());
      keys.add_cited(d.getLine());
      break;
    }
  }
}

}  // namespace

std::string identity_key(std::string_view vendor, uint16_t id_type, std::string_view value) {
  return std::string(vendor) + "|" + std::to_string(id_type) + "|" + std::string(value);
}

std::vector<IndexKey> index_keys(schema::Entry::Reader entry) {
  Keys keys;
  const std::string kind = kind_name(entry);
  keys.add("kind", kind);
  add_kind_keys(entry, keys);
  std::vector<IndexKey> out = keys.take();
  for (size_t i = 0, n = out.size(); i < n; ++i) {
    if (out[i].name == "period") out.push_back({"period_kind", out[i].value + "/" + kind});
    if (out[i].name == "cites") out.push_back({"cites_kind", out[i].value + "/" + kind});
  }
  return out;
}

std::string index_db_key(std::string_view name, std::string_view value) { return subject_key(name, value); }

}  // namespace closebook::ledger
