using Microsoft.Extensions.Options;

namespace Receiver.Feed;

/// <summary><c>Feed:*</c> settings.</summary>
public sealed class FeedOptions
{
    public const string Section = "Feed";

    /// <summary>A comment line on an idle stream this often, so proxies (60 s read timeouts are common) keep it open.</summary>
    public int HeartbeatSeconds { get; set; } = 15;

    /// <summary>The <c>retry:</c> hint: how long an SSE client waits before it reconnects.</summary>
    public int RetryMilliseconds { get; set; } = 2000;

    /// <summary>
    /// The most event bytes (as stored) in one long-poll page or stream frame, besides <c>limit</c>; a page always
    /// carries at least one event, however large. What a reader costs the receiver's memory follows from it.
    /// </summary>
    public int MaxPageBytes { get; set; } = 1024 * 1024;

    /// <summary>A stream write its reader has not taken within this long ends the stream: the reader is gone or hung.</summary>
    public int WriteTimeoutSeconds { get; set; } = 30;
}

internal sealed class FeedOptionsValidator : IValidateOptions<FeedOptions>
{
    public ValidateOptionsResult Validate(string? name, FeedOptions options)
    {
        var failures = new List<string>();
        if (options.HeartbeatSeconds is < 1 or > 300)
            failures.Add($"Feed:HeartbeatSeconds must be between 1 and 300; it is {options.HeartbeatSeconds}.");
        if (options.RetryMilliseconds is < 100 or > 600_000)
            failures.Add($"Feed:RetryMilliseconds must be between 100 and 600000; it is {options.RetryMilliseconds}.");
        if (options.MaxPageBytes is < 1024 or > 104_857_600)
            failures.Add($"Feed:MaxPageBytes must be between 1024 and 104857600; it is {options.MaxPageBytes}.");
        if (options.WriteTimeoutSeconds is < 1 or > 3600)
            failures.Add($"Feed:WriteTimeoutSeconds must be between 1 and 3600; it is {options.WriteTimeoutSeconds}.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
