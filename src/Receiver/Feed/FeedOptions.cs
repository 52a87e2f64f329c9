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
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
