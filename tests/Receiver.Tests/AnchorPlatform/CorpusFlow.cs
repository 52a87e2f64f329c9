using System.Globalization;
using System.Text.Json.Nodes;

namespace Receiver.Tests.AnchorPlatform;

/// <summary>One event of the corpus: its body exactly as AP writes it, and what it is about.</summary>
public sealed record CorpusEvent(string Flow, string Id, string Type, string Body)
{
    /// <summary>
    /// The body of another attempt: CallbackApiEventHandler@2.12.0/@4.3.0 builds SendEventRequest.from(event) afresh
    /// for each, so the id and payload are the same and the timestamp is the attempt's.
    /// </summary>
    public string Resent()
    {
        var body = JsonNode.Parse(Body)!.AsObject();
        body["timestamp"] = JavaInstant.Now();
        return body.ToJsonString(ApLine.Gson);
    }
}

/// <summary>What one subject (a transaction, quote or customer) went through, event by event, in AP's order.</summary>
public sealed class CorpusFlow(string name, string subject, string subjectId)
{
    public string Name { get; } = name;

    /// <summary><c>transaction</c>, <c>quote</c> or <c>customer</c>: the payload member that carries it.</summary>
    public string Subject { get; } = subject;

    public string SubjectId { get; } = subjectId;

    public List<CorpusEvent> Events { get; } = [];

    /// <summary>The payload's subject in the last event: what the query API must serve afterwards.</summary>
    public JsonObject? Last { get; private set; }

    public override string ToString() => Name;

    /// <summary>
    /// Appends an event as SendEventRequest@2.12.0/@4.3.0 builds it: a fresh UUID, <c>Instant.now().toString()</c> at
    /// send time, the type in lower case, and the payload with only this subject (SendEventRequestPayload); members
    /// in declaration order, id, timestamp, type, payload.
    /// </summary>
    public void Add(string type, JsonObject subject)
    {
        var id = Guid.NewGuid().ToString();
        var body = new JsonObject
        {
            ["id"] = id,
            ["timestamp"] = JavaInstant.Now(),
            ["type"] = type,
            ["payload"] = new JsonObject { [Subject] = subject.DeepClone() },
        };
        Events.Add(new CorpusEvent(Name, id, type, body.ToJsonString(ApLine.Gson)));
        Last = subject;
    }
}

/// <summary>
/// <c>java.time.Instant</c> as ISO_INSTANT prints it (GsonUtils' InstantConverter, and Instant.toString for the
/// envelope's timestamp): UTC with 'Z', the fraction left out when zero, else in groups of three digits, 3, 6 or 9.
/// </summary>
public static class JavaInstant
{
    public static string Format(DateTimeOffset second, long nanos)
    {
        var whole = second.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        if (nanos == 0) return whole + "Z";
        var fraction = nanos.ToString("D9", CultureInfo.InvariantCulture);
        var digits = nanos % 1_000_000 == 0 ? 3 : nanos % 1_000 == 0 ? 6 : 9;
        return $"{whole}.{fraction[..digits]}Z";
    }

    /// <summary>Now, to the microsecond, as JDK 17's clock gives it on Linux.</summary>
    public static string Now()
    {
        var now = DateTimeOffset.UtcNow;
        var second = new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        return Format(second, now.Ticks % TimeSpan.TicksPerSecond / 10 * 1_000);
    }
}
