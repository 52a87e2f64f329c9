using System.Diagnostics.Metrics;
using Receiver.Telemetry;

namespace Receiver.Reconciliation;

/// <summary>
/// Reconciliation's counters on the <c>Receiver</c> meter, for whatever exports metrics (OpenTelemetry,
/// <c>dotnet-counters</c>): runs by outcome, transactions checked, gaps closed and errors.
/// </summary>
internal sealed class ReconciliationMetrics
{
    private readonly Counter<long> _runs;
    private readonly Counter<long> _checked;
    private readonly Counter<long> _gapsClosed;
    private readonly Counter<long> _errors;

    public ReconciliationMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(ReceiverMeter.Name);
        _runs = meter.CreateCounter<long>("receiver.reconciliation.runs", "{run}", "Reconciliation runs finished, by status (succeeded, failed).");
        _checked = meter.CreateCounter<long>("receiver.reconciliation.transactions_checked", "{transaction}",
            "Transactions compared with AP's Platform API.");
        _gapsClosed = meter.CreateCounter<long>("receiver.reconciliation.gaps_closed", "{event}",
            "Events stored by reconciliation for transactions missing or stale in Receiver.");
        _errors = meter.CreateCounter<long>("receiver.reconciliation.errors", "{error}",
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
