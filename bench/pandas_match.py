#!/usr/bin/python3
"""The peer baseline (docs/performance.md §4): the three-way match done the way a capable
analyst would do it in pandas, on the CSVs closebook-sample writes — read, normalise, group,
outer merge, compare. It runs in one process with nothing persisted, nothing signed and no
lineage, and uses float64 with a 0.01 tolerance, as such notebooks do. It implements the
categories an analyst checks by hand; closebook's own rules (docs/matching.md §8) do more
(proration across periods, timing, FX locks, cost rates, credits).

    /usr/bin/python3 bench/pandas_match.py DIR --period 2026-10 [--out exceptions.csv]

Legs, keyed by (vendor, subscription):
  vendor invoice  both invoice formats; seats are BillableQuantity (already prorated by the
                  vendor), consumption and generic lines their Quantity;
  usage           snapshots weighted by the days each holds (seat-days / days) — a leg that
                  agrees with the last snapshot (a month-end count) agrees too — peaks as the
                  maximum, consumption summed;
  partner         partner-billing.csv, what the billing system bills.
"""
import argparse
import sys
import time

import pandas as pd

TOLERANCE = 0.01


def read_vendor(directory):
    nce = pd.read_csv(
        f"{directory}/invoice-microsoft-nce.csv",
        encoding="utf-8-sig",
        usecols=["CustomerId", "Tier2MpnId", "ProductId", "SkuId", "ChargeType", "SubscriptionId",
                 "ChargeStartDate", "ChargeEndDate", "BillableQuantity", "UnitPrice", "Subtotal", "OrderId"],
        dtype={"CustomerId": str, "Tier2MpnId": str, "ProductId": str, "SkuId": str, "SubscriptionId": str,
               "OrderId": str},
    )
    nce = pd.DataFrame({
        "vendor": "microsoft",
        "tenant_ref": nce["CustomerId"].str.lower(),
        "subscription": nce["SubscriptionId"].str.lower(),
        "sku": nce["ProductId"] + ":" + nce["SkuId"],
        "charge": nce["ChargeType"].str.lower(),
        "start": nce["ChargeStartDate"], "end": nce["ChargeEndDate"],
        "quantity": nce["BillableQuantity"], "unit_price": nce["UnitPrice"], "amount": nce["Subtotal"],
        "order": nce["OrderId"], "mpn": nce["Tier2MpnId"],
    })
    generic = pd.read_csv(f"{directory}/invoice-generic.csv",
                          dtype={"TenantRef": str, "SubscriptionId": str, "SkuId": str, "LineRef": str})
    generic = pd.DataFrame({
        "vendor": generic["Vendor"].str.lower(),
        "tenant_ref": generic["TenantRef"].str.lower(),
        "subscription": generic["SubscriptionId"].str.lower(),
        "sku": generic["SkuId"], "charge": generic["ChargeType"].str.lower(),
        "start": generic["ChargeStartDate"], "end": generic["ChargeEndDate"],
        "quantity": generic["Quantity"], "unit_price": generic["UnitPrice"], "amount": generic["Subtotal"],
        "order": "", "mpn": None,
    })
    return pd.concat([nce, generic], ignore_index=True)


def read_usage(directory, period_start, period_end):
    usage = pd.read_csv(f"{directory}/usage.csv", parse_dates=["UsageDate"],
                        dtype={"TenantRef": str, "SubscriptionId": str, "SkuId": str})
    usage["vendor"] = usage["Vendor"].str.lower()
    usage["subscription"] = usage["SubscriptionId"].str.lower()
    usage = usage[(usage["UsageDate"] >= period_start) & (usage["UsageDate"] <= period_end)]
    days = (period_end - period_start).days + 1
    keys = ["vendor", "subscription"]

    snap = usage[usage["QuantityBasis"] == "snapshot"].sort_values(keys + ["UsageDate"])
    following = snap.groupby(keys)["UsageDate"].shift(-1).fillna(period_end + pd.Timedelta(days=1))
    snap = snap.assign(seat_days=snap["Quantity"] * (following - snap["UsageDate"]).dt.days)
    snapshots = snap.groupby(keys)["seat_days"].sum() / days
    # Vendors that bill the month-end count (Datto) are compared with the last snapshot too.
    month_end = snap.groupby(keys)["Quantity"].last().rename("usage_last")
    peaks = usage[usage["QuantityBasis"] == "peak"].groupby(keys)["Quantity"].max()
    consumed = usage[usage["QuantityBasis"] == "consumed"].groupby(keys)["Quantity"].sum()
    legs = pd.concat([snapshots, peaks, consumed]).rename("usage_qty").reset_index()
    tenant = usage.groupby(keys)["TenantRef"].first().str.lower().rename("usage_tenant_ref").reset_index()
    return legs.merge(tenant, on=keys, how="left").merge(month_end.reset_index(), on=keys, how="left")


def read_partner(directory):
    billing = pd.read_csv(f"{directory}/partner-billing.csv", dtype={"TenantRef": str, "SubscriptionId": str})
    billing["vendor"] = billing["Vendor"].str.lower()
    billing["subscription"] = billing["SubscriptionId"].str.lower()
    return billing.groupby(["vendor", "subscription"]).agg(
        partner_qty=("Quantity", "sum"), partner=("PartnerId", "first")).reset_index()


def read_tenants(directory, period_start):
    edges = pd.read_csv(f"{directory}/tenants.csv", dtype=str, parse_dates=["ValidFrom", "ValidTo"])
    live = edges[(edges["ValidFrom"] <= period_start) & (edges["ValidTo"].isna() | (edges["ValidTo"] >= period_start))]
    live = live[live["IdType"].isin(["customer_id", "org_id"])]
    tenants = pd.DataFrame({"vendor": live["Vendor"], "tenant_ref": live["IdValue"].str.lower(),
                            "tenant": live["TenantId"], "tenant_partner": live["PartnerId"]})
    return tenants.drop_duplicates(["vendor", "tenant_ref"])


def differs(legs, leg):
    """A leg differs from usage when it agrees with neither its seat-days nor its month-end count."""
    gap = (legs[leg] - legs["usage_qty"]).abs() > TOLERANCE
    gap_last = ~((legs[leg] - legs["usage_last"]).abs() <= TOLERANCE)
    return legs[leg].notna() & gap & gap_last


def match(directory, period):
    period_start = pd.Timestamp(f"{period}-01")
    period_end = period_start + pd.offsets.MonthEnd(0)
    vendor = read_vendor(directory)
    usage = read_usage(directory, period_start, period_end)
    partner = read_partner(directory)
    tenants = read_tenants(directory, period_start)
    partners = pd.read_csv(f"{directory}/partners.csv", dtype=str)[["PartnerId", "ResellerMpnId"]]
    keys = ["vendor", "subscription"]

    billed_by = ["vendor", "tenant_ref", "subscription", "sku", "charge", "start", "end", "quantity",
                 "unit_price", "amount", "order"]
    duplicate = vendor.duplicated(billed_by, keep="first")
    vendor_legs = vendor[~duplicate].groupby(keys).agg(
        vendor_qty=("quantity", "sum"), vendor_amount=("amount", "sum"), tenant_ref=("tenant_ref", "first"),
        mpn=("mpn", "first"), lines=("quantity", "size")).reset_index()

    legs = vendor_legs.merge(usage, on=keys, how="outer").merge(partner, on=keys, how="outer")
    legs["tenant_ref"] = legs["tenant_ref"].fillna(legs["usage_tenant_ref"])
    legs = legs.merge(tenants, on=["vendor", "tenant_ref"], how="left")
    legs = legs.merge(partners.rename(columns={"PartnerId": "tenant_partner", "ResellerMpnId": "partner_mpn"}),
                      on="tenant_partner", how="left")

    has_vendor, has_usage, has_partner = legs["vendor_qty"].notna(), legs["usage_qty"].notna(), legs["partner_qty"].notna()
    findings = {
        "TENANT_UNRESOLVED": has_vendor & legs["tenant"].isna(),
        "UNBILLED_USAGE": (has_vendor | has_usage) & ~has_partner,
        "ORPHAN_BILLING": has_partner & ~has_vendor,
        "PARTNER_MISMATCH": legs["mpn"].notna() & legs["partner_mpn"].notna() & (legs["mpn"] != legs["partner_mpn"]),
        "QTY_MISMATCH": has_usage & (differs(legs, "vendor_qty") | differs(legs, "partner_qty")),
    }
    exceptions = [legs.loc[mask, keys + ["tenant"]].assign(category=category) for category, mask in findings.items()]
    dupes = vendor[duplicate].drop_duplicates(keys)[keys].assign(category="DUPLICATE_CHARGE")
    exceptions = pd.concat(exceptions + [dupes], ignore_index=True)
    matched = len(legs) - exceptions.drop_duplicates(keys).shape[0]
    return legs, exceptions, matched, len(vendor)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--period", required=True)
    parser.add_argument("--out", help="write the exceptions as CSV")
    args = parser.parse_args()
    start = time.perf_counter()
    legs, exceptions, matched, invoice_lines = match(args.directory, args.period)
    seconds = time.perf_counter() - start
    if args.out:
        exceptions.sort_values(["category", "vendor", "subscription"]).to_csv(args.out, index=False)
    print(f"pandas {pd.__version__}: {invoice_lines} invoice lines, {len(legs)} keys, {matched} matched, "
          f"{len(exceptions)} exceptions in {seconds:.2f} s")
    for category, count in exceptions["category"].value_counts().sort_index().items():
        print(f"  {category:<20} {count}")


if __name__ == "__main__":
    sys.exit(main())
