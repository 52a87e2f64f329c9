namespace Receiver.Http;

/// <summary><c>Http:*</c> settings: how Kestrel serves every API.</summary>
public sealed class HttpOptions
{
    public const string Section = "Http";

    /// <summary>
    /// Kestrel runs a request on the thread that received it and sends its response from the thread that wrote it
    /// (its <c>UnsafePreferInlineScheduling</c>) instead of handing each over to another thread. Off on Windows, where it
    /// was never measured.
    /// </summary>
    public bool InlineScheduling { get; set; } = !OperatingSystem.IsWindows();
}
