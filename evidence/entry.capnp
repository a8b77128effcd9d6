# closebook ledger entry schema — a public contract (docs/ledger.md §2).
#
# Every ledger entry is one `Entry` message, stored and hashed as its canonical Cap'n Proto
# encoding (capnp::canonicalize: single segment, no segment table, preorder, truncated).
# Third-party verifiers decode entries with stock tools:
#
#   closebook log entry 5 --format raw | capnp convert canonical:json evidence/entry.capnp Entry
#
# Compatibility rules: this schema is only ever extended — new fields get new ordinals, new
# kinds become new union members. Nothing is renumbered, renamed in meaning, or removed.
#
# Conventions:
# - Money, quantities, rates and percentages are exact decimals written as Text in plain
#   notation ("-12.50", "0.05183999999999999996"); never binary floating point.
#   The rounding rules are in evidence/decimal.h and docs/ledger.md §5.
# - Business dates are Text "YYYY-MM-DD"; periods are Text "YYYY-MM"; times are Int64
#   milliseconds since 1970-01-01T00:00:00Z.
# - Hashes are 32-byte SHA-256 values. The hash of an entry is its RFC 6962 leaf hash,
#   SHA-256(0x00 || canonical entry bytes), so a reference can be proven by an inclusion proof.
# - Empty Text means "not given".

@0xa186d150eff04991;

using Json = import "/capnp/compat/json.capnp";
using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("closebook::schema");

struct Entry {
  index @0 :UInt64;
  # Position in the log, from 0. Equals the Merkle leaf index.

  prevHash @1 :Data $Json.hex;
  # Hash of entry `index - 1` (its RFC 6962 leaf hash); empty for entry 0. A hash chain.

  recordedAt @2 :Int64;
  # When the ledger appended the entry, ms since the Unix epoch (UTC). Never decreases.

  effective @3 :Text;
  # The business date ("YYYY-MM-DD") or period ("YYYY-MM") the entry speaks about; empty for
  # timeless reference data (a Partner) and for loads of files that have no period.

  author @4 :Data $Json.hex;
  # Key id of the key on whose authority the entry was written:
  # SHA-256(keyName || "\n" || 0x01 || ed25519PublicKey), 32 bytes. Its first 4 bytes are the
  # C2SP signed-note key hash.

  kind :union {
    keyEvent @5 :KeyEvent;
    ingest @6 :Ingest;
    partner @7 :Partner;
    tenantEdge @8 :TenantEdge;
    ruleVersion @9 :RuleVersion;
    fxRate @10 :FxRate;
    fxLock @11 :FxLock;
    invoiceLine @12 :InvoiceLine;
    usageRecord @13 :UsageRecord;
    pricedLine @14 :PricedLine;
    matchRun @15 :MatchRun;
    matchResult @16 :MatchResult;
    exception @17 :Exception;
    exceptionUpdate @18 :ExceptionUpdate;
    signOff @19 :SignOff;
    periodReopen @20 :PeriodReopen;
    credit @21 :Credit;
    invoice @22 :Invoice;
    journalPosting @23 :JournalPosting;
    postingAck @24 :PostingAck;
    dispute @25 :Dispute;
    invoiceChunk @26 :InvoiceChunk;
    lineCost @28 :LineCost;
    signOffSummary @29 :SignOffSummary;
  }

  salt @27 :Data $Json.hex;
  # 16 bytes the ledger derives from a secret it keeps (docs/ledger.md §2.1), so the entry's
  # hash hides what it holds from whoever is shown the hash but not the entry: a partner's
  # bundle withholds the distributor's costs and totals this way (docs/evidence.md §5). Like
  # index and prevHash, it is not part of the entry's content. Empty on entries written before it.
}

struct EntryRef {
  # A reference to an earlier entry: its index and its hash (RFC 6962 leaf hash).
  index @0 :UInt64;
  hash @1 :Data $Json.hex;
}

struct SourceRow {
  # Where an input row came from: the SHA-256 of the whole input file and the 1-based line
  # number where the row starts. Two identical rows in one file stay two entries.
  fileSha256 @0 :Data $Json.hex;
  line @1 :UInt64;
}

# ---------------------------------------------------------------------------------------
# Keys

struct KeyEvent {
  # Registers, rotates or revokes a signer key. Entry 0 of every ledger registers the log key.
  # A signature counts only if its key was registered and not revoked at the entry it signs.
  action @0 :Action;
  role @1 :Role;
  name @2 :Text;            # the signed-note key name
  publicKey @3 :Data $Json.hex;  # 32-byte Ed25519 public key
  keyId @4 :Data $Json.hex;      # SHA-256(name || "\n" || 0x01 || publicKey)
  verifierKey @5 :Text;     # C2SP verifier key line: name+hex8(keyhash)+base64(0x01||publicKey)
  replaces @6 :EntryRef;    # rotate: the KeyEvent that registered the key being replaced
  reason @7 :Text;

  enum Action { register @0; rotate @1; revoke @2; }
  enum Role { log @0; finance @1; operator @2; witness @3; }
}

# ---------------------------------------------------------------------------------------
# Inputs

struct Ingest {
  # One load of one input file. Appended with the rows it adds, in the same transaction.
  source @0 :Source;
  format @1 :Text;          # e.g. "microsoft-nce", "generic", "closebook-partners-v1"
  fileName @2 :Text;        # base name as given, informational
  fileSha256 @3 :Data $Json.hex;
  rowCount @4 :UInt64;      # data rows in the file
  period @5 :Text;          # the period the file belongs to, if any
  profileSha256 @6 :Data $Json.hex;  # read through a feed profile (docs/matching.md §1.1): its text's SHA-256
  skippedRows @7 :UInt64;   # rows the profile's skip rules left out (tax lines, subtotals); rowCount counts them too

  enum Source {
    partners @0; tenants @1; rules @2; fx @3; vendorInvoice @4; usage @5; legacyBilling @6;
  }
}

struct Partner {
  partnerId @0 :Text;
  name @1 :Text;
  country @2 :Text;         # ISO 3166-1 alpha-2
  currency @3 :Text;        # ISO 4217 billing currency
  resellerMpnId @4 :Text;
  marginFloorPct @5 :Text;  # decimal percent, e.g. "8.5"
}

struct TenantEdge {
  # One vendor identity of a canonical tenant, valid over [validFrom, validTo].
  tenantId @0 :Text;
  partnerId @1 :Text;
  vendor @2 :Text;
  idType @3 :IdType;
  idValue @4 :Text;
  validFrom @5 :Text;       # inclusive
  validTo @6 :Text;         # inclusive; empty = open-ended

  enum IdType { customerId @0; domain @1; orgId @2; name @3; }
}

struct RuleVersion {
  ruleId @0 :Text;
  version @1 :UInt32;
  vendor @2 :Text;
  skuId @3 :Text;
  partnerId @4 :Text;       # "*" = every partner; a partner's own rule beats "*"
  effectiveFrom @5 :Text;   # inclusive
  effectiveTo @6 :Text;     # inclusive; empty = open-ended
  costUnitPrice @7 :Text;
  costCurrency @8 :Text;
  sellMethod @9 :SellMethod;
  sellValue @10 :Text;      # percent for markupPct, unit price for fixed
  sellCurrency @11 :Text;
  unit @12 :Text;
  marginFloorPct @13 :Text;
  # A rule for many SKUs (docs/matching.md §3.1): with skuId empty, it prices every SKU of its
  # vendor that skuPattern matches ("*" stands for any run of characters), and, when
  # meterCategory is given, only usage of that meter category.
  skuPattern @14 :Text;
  meterCategory @15 :Text;
  # Cost-plus on the vendor's own price: the cost of each line is its usage records'
  # vendorUnitPrice in their pricingCurrency (costUnitPrice and costCurrency stay empty here);
  # the sell method is markupPct.
  costFromVendor @16 :Bool;

  enum SellMethod { markupPct @0; fixed @1; }
}

struct FxRate {
  date @0 :Text;
  base @1 :Text;
  quote @2 :Text;
  rate @3 :Text;            # 1 base = rate quote
  source @4 :Text;
}

struct FxLock {
  # The one rate a priced line uses, fixed once and never looked up again.
  period @0 :Text;
  base @1 :Text;
  quote @2 :Text;
  rate @3 :Text;
  rateDate @4 :Text;
  source @5 :Text;
  rateRef @6 :EntryRef;     # the FxRate entry the rate came from
  policy @7 :Text;          # e.g. "rate dated on or before the period's first day"
}

struct InvoiceLine {
  # One row of a vendor invoice (Microsoft NCE reconciliation file or generic format).
  vendor @0 :Text;
  format @1 :Text;
  source @2 :SourceRow;
  invoiceNumber @3 :Text;
  lineRef @4 :Text;
  tenantRef @5 :Text;       # vendor's tenant identity (e.g. Microsoft CustomerId)
  customerName @6 :Text;
  customerDomain @7 :Text;
  resellerMpnId @8 :Text;   # reseller of record (ResellerMpnId or Tier2MpnId)
  orderId @9 :Text;
  productId @10 :Text;
  skuId @11 :Text;
  skuName @12 :Text;
  subscriptionId @13 :Text;
  chargeType @14 :Text;     # lower-case as normalised, e.g. "cyclecharge"
  chargeStartDate @15 :Text;
  chargeEndDate @16 :Text;
  billingFrequency @17 :Text;
  unitPrice @18 :Text;
  effectiveUnitPrice @19 :Text;
  quantity @20 :Text;
  billableQuantity @21 :Text;
  subtotal @22 :Text;
  taxTotal @23 :Text;
  total @24 :Text;
  currency @25 :Text;       # billing currency
  pricingCurrency @26 :Text;
  fxRate @27 :Text;         # PCToBCExchangeRate
  fxRateDate @28 :Text;
  referenceId @29 :Text;
  period @30 :Text;
  usageBased @31 :Bool;     # billed by consumption, not by licence (Partner Center: a row naming a
                            # MeterDescription and no billing plan, an Azure plan meter): the vendor
                            # values it ROUNDDOWN(ROUNDDOWN(unit × BillableQuantity, 2) × rate, 2)
                            # (docs/matching.md §1, §8.1); false on every line written before it
}

struct UsageRecord {
  vendor @0 :Text;
  source @1 :SourceRow;
  usageDate @2 :Text;
  tenantRef @3 :Text;
  subscriptionId @4 :Text;
  skuId @5 :Text;
  quantity @6 :Text;
  quantityBasis @7 :QuantityBasis;
  unitType @8 :Text;
  sourceRef @9 :Text;
  # What a rated-usage file (Partner Center's daily rated usage, docs/matching.md §1) says of
  # the meter and its price, kept on the record for the auditor and for pricing from the
  # vendor's own price; empty for feeds that do not rate usage.
  meterId @10 :Text;
  meterCategory @11 :Text;
  meterName @12 :Text;
  resourceGroup @13 :Text;
  tags @14 :Text;              # the vendor's tags as it wrote them (a JSON object)
  vendorUnitPrice @15 :Text;   # EffectiveUnitPrice, in pricingCurrency
  vendorAmount @16 :Text;      # BillingPreTaxTotal, in vendorCurrency
  vendorCurrency @17 :Text;    # the vendor's billing currency
  pricingCurrency @18 :Text;
  fxRate @19 :Text;            # PCToBCExchangeRate: pricing to billing currency

  enum QuantityBasis { snapshot @0; peak @1; consumed @2; }
}

# ---------------------------------------------------------------------------------------
# The close

struct PricedLine {
  lineId @0 :Text;
  period @1 :Text;
  partnerId @2 :Text;
  tenantId @3 :Text;
  vendor @4 :Text;
  skuId @5 :Text;
  subscriptionId @6 :Text;
  quantity @7 :Text;
  quantityBasis @8 :UsageRecord.QuantityBasis;
  prorationDays @9 :UInt32;     # days of the period the charge covers
  periodDays @10 :UInt32;       # days in the period
  rule @11 :EntryRef;
  ruleId @12 :Text;
  ruleVersion @13 :UInt32;
  fxLock @14 :EntryRef;
  costUnitPrice @15 :Text;
  costCurrency @16 :Text;
  costAmount @17 :Text;         # in billing currency
  sellUnitPrice @18 :Text;
  sellAmount @19 :Text;         # in billing currency
  currency @20 :Text;           # billing currency
  marginAmount @21 :Text;
  usage @22 :List(EntryRef);    # the usage records this line sums
  fromDate @23 :Text;           # the first and last day the line charges (a stretch of the period
  toDate @24 :Text;             # with one tenant, partner and rule version), inclusive
  cadence @25 :Text;            # how the vendor's feed reports seat counts, so which days a count
                                # stands for: "daily", "weekly" or "monthly" (docs/matching.md §3);
                                # empty on lines written before it was recorded, which are daily
  cost @26 :EntryRef;           # sealed (docs/evidence.md §5): the LineCost entry, just before the
                                # line, that holds its cost, margin and rule; the line's own rule,
                                # ruleId, ruleVersion, costUnitPrice, costCurrency, costAmount and
                                # marginAmount are then empty. Empty on lines written before it.
}

struct LineCost {
  # What a sealed priced line's partner is not shown: what the line cost the distributor, its
  # margin and the rule version that priced it. Fields as in PricedLine.
  lineId @0 :Text;
  rule @1 :EntryRef;
  ruleId @2 :Text;
  ruleVersion @3 :UInt32;
  costUnitPrice @4 :Text;
  costCurrency @5 :Text;
  costAmount @6 :Text;
  marginAmount @7 :Text;
}

struct MatchRun {
  period @0 :Text;
  tolerance @1 :Text;
  fxToleranceBps @2 :UInt32;
  inputs @3 :List(EntryRef);    # Ingest entries of the files matched
  inputFileSha256s @4 :List(Data);
  keyCount @5 :UInt64;
  matchedCount @6 :UInt64;
  exceptionCount @7 :UInt64;
  vendorTotal @8 :Text;
  pricedCostTotal @9 :Text;
  pricedSellTotal @10 :Text;
  currency @11 :Text;
  # vendorTotal, pricedCostTotal, pricedSellTotal and currency are filled only when every
  # amount of the run is in one currency; `totals` always holds them, one item per currency.
  totals @12 :List(CurrencyTotal);
}

struct CurrencyTotal {
  # A match run's amounts in one currency: vendor amounts attributed to the period (in the
  # vendor's billing currency) and priced amounts (in the partner's billing currency).
  currency @0 :Text;
  vendorAmount @1 :Text;
  pricedCost @2 :Text;
  pricedSell @3 :Text;
}

struct MatchResult {
  run @0 :EntryRef;
  period @1 :Text;
  vendor @2 :Text;
  tenantId @3 :Text;
  subscriptionId @4 :Text;
  skuId @5 :Text;
  status @6 :Status;
  vendorQuantity @7 :Text;
  usageQuantity @8 :Text;
  pricedQuantity @9 :Text;
  vendorAmount @10 :Text;
  pricedCost @11 :Text;
  pricedSell @12 :Text;
  currency @13 :Text;
  invoiceLines @14 :List(EntryRef);
  usage @15 :List(EntryRef);
  pricedLines @16 :List(EntryRef);
  vendorCurrency @17 :Text;     # currency of vendorAmount; `currency` is the priced lines'
  exceptionIds @18 :List(Text); # the exceptions this run raised on the key
  partnerId @19 :Text;          # the tenant's partner on the period's first charged day

  enum Status { matched @0; mismatched @1; }
}

enum Category {
  unbilledUsage @0;
  orphanBilling @1;
  qtyMismatch @2;
  costRateMismatch @3;
  fxVariance @4;
  duplicateCharge @5;
  duplicateSubscription @6;
  tenantUnresolved @7;
  partnerMismatch @8;
  skuMismatch @9;
  noPricingRule @10;
  marginFloorBreach @11;
  creditNotPassedOn @12;
  timing @13;
  creditRecovery @14;
  dispute @15;
}

enum ExceptionStatus { open @0; acknowledged @1; resolved @2; waived @3; }

struct Leg {
  # One leg's view of a disputed key: "vendor_invoice", "usage", "priced", ...
  name @0 :Text;
  quantity @1 :Text;
  unitPrice @2 :Text;
  amount @3 :Text;
  detail @4 :Text;
}

struct Exception {
  exceptionId @0 :Text;
  period @1 :Text;
  category @2 :Category;
  severity @3 :Severity;
  blocking @4 :Bool;        # blocks sign-off while open, unless overridden with a reason
  vendor @5 :Text;
  partnerId @6 :Text;
  tenantId @7 :Text;
  subscriptionId @8 :Text;
  skuId @9 :Text;
  legs @10 :List(Leg);
  delta @11 :Text;
  currency @12 :Text;
  owner @13 :Text;
  dueDate @14 :Text;
  evidence @15 :List(EntryRef);
  summary @16 :Text;
  status @17 :ExceptionStatus;

  enum Severity { info @0; low @1; medium @2; high @3; critical @4; }
}

struct ExceptionUpdate {
  exception @0 :EntryRef;
  exceptionId @1 :Text;
  action @2 :Action;
  status @3 :ExceptionStatus;  # status after this update
  owner @4 :Text;
  dueDate @5 :Text;
  note @6 :Text;
  evidenceSha256 @7 :Data $Json.hex;
  evidenceName @8 :Text;
  actor @9 :Text;

  enum Action { assign @0; acknowledge @1; resolve @2; waive @3; reopen @4; comment @5; }
}

struct Signature {
  keyEvent @0 :EntryRef;    # the KeyEvent that registered the signing key
  keyId @1 :Data $Json.hex;
  keyName @2 :Text;
  signature @3 :Data $Json.hex;  # Ed25519 over the statement bytes
}

struct CategoryTotal {
  category @0 :Category;
  count @1 :UInt64;
  amount @2 :Text;          # sum of the deltas, in `currency`
  currency @3 :Text;        # one item per category and currency
  blocking @4 :UInt64;      # how many of `count` block sign-off
}

struct SignOff {
  period @0 :Text;
  statement @1 :Text;       # the exact domain-separated statement text that was signed
  treeSize @2 :UInt64;
  rootHash @3 :Data $Json.hex;
  signatures @4 :List(Signature);
  outstanding @5 :List(CategoryTotal);
  overrideReason @6 :Text;
  requiredSignatures @7 :UInt32;  # distinct finance signatures the sign-off needed (0 = 1)
  summary @8 :EntryRef;
  # A closebook-signoff/v2 statement (docs/close.md §1) names the period and commits to its
  # summary — match, priced totals, credits, outstanding exceptions, override — by a salted
  # hash; this is the SignOffSummary entry, just before the SignOff, that holds it. Then
  # `outstanding` and `overrideReason` are empty: the summary's lines say them.
}

struct SignOffSummary {
  # What a v2 sign-off statement commits to and a partner is not shown: the distributor's
  # totals and every partner's outstanding exceptions (docs/close.md §1).
  period @0 :Text;
  lines @1 :List(Text);           # the summary's lines, as v1 statements list them after the period
  salt @2 :Data $Json.hex;        # 32 bytes; the statement's `summary` line is
                                  # base64(SHA-256("closebook-signoff-summary/v1\n" || salt || lines joined by "\n"))
}

struct PeriodReopen {
  period @0 :Text;
  reason @1 :Text;
  cause @2 :EntryRef;       # e.g. the Credit that reopened it
  previousSignOff @3 :EntryRef;
}

struct Credit {
  creditId @0 :Text;
  period @1 :Text;          # the period the credit is booked in
  targetPeriod @2 :Text;    # the period of the lines it corrects
  lines @3 :List(EntryRef); # the lines it corrects
  lineIds @4 :List(Text);
  amount @5 :Text;
  quantity @6 :Text;
  currency @7 :Text;
  reason @8 :Text;
  vendorCreditRef @9 :Text;
  partnerId @10 :Text;
}

struct InvoiceItem {
  line @0 :EntryRef;        # PricedLine or Credit
  lineId @1 :Text;
  description @2 :Text;
  quantity @3 :Text;
  unitPrice @4 :Text;
  amount @5 :Text;
  gst @6 :Text;
}

struct Invoice {
  invoiceId @0 :Text;
  period @1 :Text;
  partnerId @2 :Text;
  currency @3 :Text;
  issueDate @4 :Text;
  items @5 :List(InvoiceItem);
  subtotal @6 :Text;
  gst @7 :Text;
  total @8 :Text;
  gstTreatment @9 :GstTreatment;
  signOff @10 :EntryRef;
  # An invoice of more items than one entry carries well (docs/close.md §4): its items are in
  # InvoiceChunk entries before it, in order, and `items` is empty. subtotal, gst and total are
  # the chunks' sums. An invoice without chunks carries its items itself.
  chunks @11 :List(EntryRef);
  itemCount @12 :UInt64;        # with chunks: how many items they carry

  enum GstTreatment { taxable @0; gstFree @1; }
}

struct InvoiceChunk {
  # Items `first`.. of invoice `invoiceId`, appended just before its header (the Invoice entry).
  invoiceId @0 :Text;
  period @1 :Text;
  partnerId @2 :Text;
  currency @3 :Text;
  position @4 :UInt32;          # 0, 1, ... in the header's `chunks`
  first @5 :UInt64;             # the invoice's number of items before this chunk
  items @6 :List(InvoiceItem);
  subtotal @7 :Text;            # Σ its items' amounts
  gst @8 :Text;                 # Σ its items' GST
}

struct JournalLine {
  account @0 :Text;
  description @1 :Text;
  taxRate @2 :Text;
  amount @3 :Text;          # positive = debit, negative = credit
  refs @4 :List(EntryRef);  # the entries this line sums
  # Journals of a GL organisation (JournalPosting.organisation set): an amount converted from
  # another currency carries the amount it converts, that currency, and the period's FxLock
  # and its rate (docs/close.md §5). Empty when the line is in the journal's currency.
  sourceAmount @5 :Text;
  sourceCurrency @6 :Text;
  fxRate @7 :Text;
  fxLock @8 :EntryRef;
  # What the GL tracks the line by (Xero tracking categories, NetSuite's Name): the partner
  # of a receivable, revenue or GST line, the vendor of a COGS or payable line.
  partner @9 :Text;
  vendor @10 :Text;
  # What the line is, so each GL's export codes its tax: receivable, revenue, revenueGstFree,
  # gst, cogs or payable. Empty before organisations.
  role @11 :Text;
}

struct JournalPosting {
  period @0 :Text;
  journalId @1 :Text;
  signOff @2 :EntryRef;
  lines @3 :List(JournalLine);
  totalDebit @4 :Text;
  totalCredit @5 :Text;
  currency @6 :Text;            # the organisation's base currency (before organisations: the invoices')
  # The GL organisation (entity) whose books the journal posts to, in its base currency, and
  # the partners whose invoices it posts (all of them under its sign-off), sorted. Empty in
  # journals written before organisations, which post the invoices of one currency.
  organisation @7 :Text;
  partners @8 :List(Text);
}

struct PostingAck {
  period @0 :Text;
  posting @1 :EntryRef;
  glRef @2 :Text;
  idempotencyKey @3 :Text;
  actor @4 :Text;
}

struct Dispute {
  disputeId @0 :Text;
  partnerId @1 :Text;
  line @2 :EntryRef;
  lineId @3 :Text;
  reason @4 :Text;
  amount @5 :Text;
  currency @6 :Text;
  raisedBy @7 :Text;
}
