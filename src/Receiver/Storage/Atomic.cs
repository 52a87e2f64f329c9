namespace Receiver.Storage;

/// <summary>The lock-free pieces the feed's notifier and the standby's checks share.</summary>
internal static class Atomic
{
    /// <summary>Raises <paramref name="target"/> to <paramref name="value"/> unless it is already as high; whether it rose.</summary>
    public static bool RaiseTo(ref long target, long value)
    {
        var known = Interlocked.Read(ref target);
        while (value > known)
        {
            var seen = Interlocked.CompareExchange(ref target, value, known);
            if (seen == known) return true;
            known = seen;
        }
        return false;
    }

    /// <summary>
    /// A wake-up shared by every waiter: completed, and replaced by a new one, when what they wait for happens.
    /// Continuations run on the thread pool, not on the thread that completes it.
    /// </summary>
    public static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
