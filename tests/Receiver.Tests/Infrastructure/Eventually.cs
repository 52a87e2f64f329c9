using System.Diagnostics;

namespace Receiver.Tests.Infrastructure;

/// <summary>Waits for a condition by polling it rather than guessing a time: a loaded machine only makes it slower.</summary>
public static class Eventually
{
    private static readonly TimeSpan DefaultWithin = TimeSpan.FromSeconds(30);

    /// <param name="failure">What went wrong if it never holds, e.g. "the consumers did not catch up".</param>
    public static async Task HoldsAsync(Func<Task<bool>> condition, string failure, TimeSpan? within = null)
    {
        var limit = within ?? DefaultWithin;
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(waited.Elapsed < limit, $"{failure} within {limit.TotalSeconds:0} s");
            await Task.Delay(100);
        }
    }

    public static Task HoldsAsync(Func<bool> condition, string failure, TimeSpan? within = null) =>
        HoldsAsync(() => Task.FromResult(condition()), failure, within);
}
