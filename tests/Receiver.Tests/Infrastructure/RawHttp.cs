using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Receiver.Tests.Infrastructure;

/// <summary>
/// HTTP/1.1 written by hand on a TCP socket, for what HttpClient refuses to send: a Content-Length that lies, broken
/// chunking, a body dripped byte by byte. Reads until the server closes the connection or a deadline passes.
/// </summary>
public static partial class RawHttp
{
    /// <summary>What came back: the status of every response on the connection, and how the exchange ended.</summary>
    public sealed record Exchange(IReadOnlyList<int> Statuses, bool ClosedByServer, bool TimedOut, TimeSpan Elapsed, string Text)
    {
        public override string ToString() =>
            $"statuses [{string.Join(", ", Statuses)}], {(TimedOut ? "no end before the deadline" : ClosedByServer ? "closed by the server" : "open")}" +
            $" after {Elapsed.TotalSeconds:0.0} s: {Text[..Math.Min(Text.Length, 400)].ReplaceLineEndings("\\n")}";
    }

    /// <summary>One write on the socket, after a pause.</summary>
    public readonly record struct Part(byte[] Bytes, TimeSpan PauseBefore = default);

    /// <summary>
    /// Sends the parts in order (stopping early once the server has closed), half-closes the connection when
    /// <paramref name="halfClose"/> (the server then reads end of input), and reads until the server closes it.
    /// </summary>
    public static async Task<Exchange> SendAsync(int port, IEnumerable<Part> parts, bool halfClose, TimeSpan deadline)
    {
        var started = DateTime.UtcNow;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        using var timeout = new CancellationTokenSource(deadline);
        var received = new MemoryStream();
        var reading = ReadUntilClosedAsync(socket, received, timeout.Token);

        try
        {
            foreach (var part in parts)
            {
                if (part.PauseBefore > TimeSpan.Zero)
                    await Task.WhenAny(Task.Delay(part.PauseBefore, timeout.Token), reading);
                if (reading.IsCompleted || timeout.IsCancellationRequested) break;
                await socket.SendAsync(part.Bytes, SocketFlags.None, timeout.Token);
            }
            if (halfClose && !reading.IsCompleted) socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The server may close while we still write (e.g. after answering 413 early): what it answered is still read.
        }

        var closed = await reading;
        var text = Encoding.Latin1.GetString(received.ToArray());
        var statuses = StatusLine().Matches(text).Select(m => int.Parse(m.Groups[1].Value)).ToList();
        return new Exchange(statuses, closed, !closed, DateTime.UtcNow - started, text);
    }

    /// <summary>True when the server closed (or reset) the connection, false when the deadline came first.</summary>
    private static async Task<bool> ReadUntilClosedAsync(Socket socket, MemoryStream into, CancellationToken deadline)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline);
                if (read == 0) return true;
                into.Write(buffer, 0, read);
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Sends a GET and never reads the answer: with a tiny receive window the server's writes soon find the
    /// connection full, as with a consumer that hangs. Dispose the socket to go away.
    /// </summary>
    public static async Task<Socket> StalledGetAsync(int port, string pathAndQuery, params string[] headers)
    {
        // Set before connecting: the window is agreed in the handshake.
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            $"GET {pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + string.Concat(headers.Select(h => h + "\r\n")) + "\r\n"), SocketFlags.None);
        return socket;
    }

    /// <summary>A POST /event head, with the headers given (each "Name: value") and nothing else of its own.</summary>
    public static byte[] Head(params string[] headers) =>
        Encoding.ASCII.GetBytes("POST /event HTTP/1.1\r\nHost: 127.0.0.1\r\n" + string.Concat(headers.Select(h => h + "\r\n")) + "\r\n");

    [GeneratedRegex(@"^HTTP/1\.[01] (\d{3}) ", RegexOptions.Multiline)]
    private static partial Regex StatusLine();
}
