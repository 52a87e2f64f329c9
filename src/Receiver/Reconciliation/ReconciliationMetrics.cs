using System.Diagnostics.Metrics;

namespace Receiver.Reconciliation;

/// <summary>
/// Reconciliation's counters on the <c>Receiver</c> meter, for whatever exports metrics (OpenTelemetry,
/// <c>dotnet-counters</c>): runs by outcome, transactions checked, gaps closed and errors.
/// </summary>
internal sealed class ReconciliationMetrics
{
    public const string MeterName = "Receiver";

    private readonly Counter<long> _runs;
    private readonly Counter<long> _checked;
    private readonly Counter<long> _gapsClosed;
    private readonly Counter<long> _errors;

    public ReconciliationMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _runs = meter.CreateCounter<long>("receiver_reconciliation_runs_total", "{run}", "Reconciliation runs finished, by status (succeeded, failed).");
        _checked = meter.CreateCounter<long>("receiver_reconciliation_transactions_checked_total", "{transaction}",
            "Transactions compared with AP's Platform API.");
        _gapsClosed = meter.CreateCounter<long>("receiver_reconciliation_gaps_closed_total", "{event}",
            "Events stored by reconciliation for transactions missing or stale in Receiver.");
        _errors = meter.CreateCounter<long>("receiver_reconciliation_errors_total", "{error}",
            "Problems reconciliation met: the Platform API unreachable, refusing or answering garbage, snapshots it could not store.");
    }

    public void RunFinished(string status, RunTally tally)
    {
        _runs.Add(1, new KeyValuePair<string, object?>("status", status));
        _checked.Add(tally.TransactionsChecked);
        _gapsClosed.Add(tally.GapsClosed);
        _errors.Add(tally.ErrorCount);
    }
}
