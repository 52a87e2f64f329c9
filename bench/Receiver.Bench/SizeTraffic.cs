using System.Globalization;

namespace Receiver.Bench;

/// <summary>
/// The AP traffic bench/size stores: a deterministic stream of event bodies, event k always the same, so a database
/// grows from one size to the next by storing events [from, to), and the queries know the values to filter by.
/// The mix, per 1,000,000 events: about 245,000 transactions (SEP-24 40 %, SEP-31 35 %, SEP-6 25 %, each through its
/// lifecycle of 3 to 5 events, a later <c>updated_at</c> each time; one in ten ends early in error, expired or refunded),
/// about 2,000 of them open at any moment; 8,000 <c>quote_created</c>; 10,000 <c>customer_updated</c>; a pool of
/// customers growing by 5,000 and of accounts by 50,000; five assets. One customer is the busiest: the sender of 0.5 %
/// of the transactions that name customers. Event k happens at <see cref="Start"/> + 3 s x k.
/// </summary>
internal sealed class SizeTraffic
{
    public static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly TimeSpan Step = TimeSpan.FromSeconds(3);
    private const int OpenTransactions = 2000;

    public static readonly string[] Assets =
    [
        "stellar:USDC:GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN",
        "stellar:EURC:GDHU6WRG4IEQXM5NZ4BMPKOXHW76MZM4Y2IEMFDVXBSDP6SJY4ITNPP2",
        "stellar:native",
        "stellar:SRT:GCDNJUBQSX7AJWLJACMJ7I4BC3Z47BQUTMHEICZLE6MU4KQBRYG5JY6B",
        "iso4217:USD",
    ];

    // Cumulative shares of the assets above, in percent.
    private static readonly int[] AssetShares = [55, 75, 85, 95, 100];

    public static string Usdc => Assets[0];
    public static string BusiestCustomer => Id(CustomerSalt, 0);
    public static string SomeCustomer => Id(CustomerSalt, 7);
    public static string SomeAccount => Account(7);
    public static DateTimeOffset At(long k) => Start + Step * k;
    public static string TransactionId(long number) => Id(TransactionSalt, number);

    private readonly Random _random = new(17);
    private readonly List<Open> _open = new(OpenTransactions);
    private long _transactions, _quotes, _next;

    private sealed class Open
    {
        public required string Id;
        public required string Sep;
        public required string Kind;
        public required string[] Lifecycle;
        public required string Asset;
        public required string Account;
        public required string? Sender;
        public required string? Receiver;
        public required DateTimeOffset StartedAt;
        public required string Amount;
        public int Step;
    }

    /// <summary>Bodies of events <paramref name="from"/> to <paramref name="to"/> (exclusive), with their index.</summary>
    public static IEnumerable<(long Index, string Body)> Events(long from, long to)
    {
        var traffic = new SizeTraffic();
        for (var k = 0L; k < to; k++)
        {
            var body = traffic.Next(build: k >= from);
            if (k >= from) yield return (k, body!);
        }
    }

    /// <summary>The next event: every random draw is made whether or not the body is built, so event k is always the same.</summary>
    private string? Next(bool build)
    {
        var k = _next++;
        var at = At(k);
        var roll = _random.Next(1000);
        if (roll < 8)
        {
            var quote = _quotes++;
            var sell = _random.Next(2);
            return build ? QuoteCreated(k, quote, at, sell) : null;
        }
        if (roll < 18)
        {
            var customer = _random.NextInt64(CustomerPool(k));
            return build ? CustomerUpdated(k, customer, at) : null;
        }

        Open transaction;
        if (_open.Count < OpenTransactions)
        {
            transaction = NewTransaction(k, at);
            _open.Add(transaction);
        }
        else
        {
            var index = _random.Next(_open.Count);
            transaction = _open[index];
            transaction.Step++;
            if (transaction.Step == transaction.Lifecycle.Length - 1)
            {
                _open[index] = _open[^1];
                _open.RemoveAt(_open.Count - 1);
            }
        }
        return build ? TransactionEvent(k, transaction, at) : null;
    }

    private static readonly string[][] Lifecycles24Deposit = [["incomplete", "pending_user_transfer_start", "pending_anchor", "pending_stellar", "completed"]];
    private static readonly string[][] Lifecycles24Withdrawal = [["incomplete", "pending_user_transfer_start", "pending_anchor", "completed"]];
    private static readonly string[][] Lifecycles6Deposit = [["pending_user_transfer_start", "pending_anchor", "pending_stellar", "completed"]];
    private static readonly string[][] Lifecycles6Withdrawal = [["pending_user_transfer_start", "pending_anchor", "pending_external", "completed"]];
    private static readonly string[][] Lifecycles31 = [["pending_sender", "pending_receiver", "pending_external", "completed"]];

    private Open NewTransaction(long k, DateTimeOffset at)
    {
        var number = _transactions++;
        var sepRoll = _random.Next(100);
        var (sep, kind, lifecycle) = sepRoll switch
        {
            < 25 => ("24", "deposit", Lifecycles24Deposit[0]),
            < 40 => ("24", "withdrawal", Lifecycles24Withdrawal[0]),
            < 75 => ("31", "receive", Lifecycles31[0]),
            < 82 => ("6", "deposit", Lifecycles6Deposit[0]),
            < 89 => ("6", "withdrawal", Lifecycles6Withdrawal[0]),
            < 94 => ("6", "deposit-exchange", Lifecycles6Deposit[0]),
            _ => ("6", "withdrawal-exchange", Lifecycles6Withdrawal[0]),
        };
        // One in ten ends early: error after its first step, expired waiting for the user, or refunded at the end.
        var early = _random.Next(30);
        lifecycle = early switch
        {
            0 => [lifecycle[0], "error"],
            1 => [lifecycle[0], "expired"],
            2 => [.. lifecycle[..^1], "refunded"],
            _ => lifecycle,
        };
        var assetRoll = _random.Next(100);
        var asset = Assets[Array.FindIndex(AssetShares, share => assetRoll < share)];
        var account = Account(_random.NextInt64(AccountPool(k)));
        var pool = CustomerPool(k);
        var busiest = _random.Next(200) == 0;
        var sender = busiest ? 0 : 1 + _random.NextInt64(pool - 1);
        var receiver = 1 + _random.NextInt64(pool - 1);
        var amount = (10 + _random.Next(99_990)).ToString(CultureInfo.InvariantCulture);
        var named = sep != "24";
        return new Open
        {
            Id = Id(TransactionSalt, number), Sep = sep, Kind = kind, Lifecycle = lifecycle, Asset = asset, Account = account,
            Sender = named ? Id(CustomerSalt, sender) : null, Receiver = named ? Id(CustomerSalt, receiver) : null,
            StartedAt = at, Amount = amount,
        };
    }

    private static long CustomerPool(long k) => 500 + k / 200;
    private static long AccountPool(long k) => 1000 + k / 20;

    private const ulong EventSalt = 0xE7E47, TransactionSalt = 0x7A5, CustomerSalt = 0xC057, QuoteSalt = 0x9A07E;

    /// <summary>A UUID-shaped id, as AP's, drawn from a number: the same number always gives the same id.</summary>
    private static string Id(ulong salt, long number)
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes, Mix(salt * 0x9E3779B97F4A7C15 + (ulong)number));
        BitConverter.TryWriteBytes(bytes[8..], Mix(Mix(salt) + (ulong)number));
        return new Guid(bytes).ToString();
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>A Stellar-account-shaped key (56 characters of base32, starting with G), one per number.</summary>
    private static string Account(long number)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var chars = new char[56];
        chars[0] = 'G';
        var bits = Mix((ulong)number + 0xACC0);
        var more = Mix(bits);
        for (var i = 1; i < 56; i++)
        {
            chars[i] = alphabet[(int)(bits & 31)];
            bits = (bits >> 5) | (more << 59);
            more >>= 5;
            if (i % 12 == 0) { more = Mix(more + (ulong)i); }
        }
        return new string(chars);
    }

    private static string Instant(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    // JSON is written by hand: each value below is either fixed text or made here, never needing escapes.
    private static string Envelope(long k, string type, DateTimeOffset at, string payload) =>
        $"{{\"id\":\"{Id(EventSalt, k)}\",\"type\":\"{type}\",\"timestamp\":\"{Instant(at + TimeSpan.FromSeconds(1))}\",\"payload\":{{{payload}}}}}";

    private static string Amount(string member, string amount, string asset) =>
        $",\"{member}\":{{\"amount\":\"{amount}\",\"asset\":\"{asset}\"}}";

    private static string Text(string member, string value) => $",\"{member}\":\"{value}\"";

    private static string TransactionEvent(long k, Open t, DateTimeOffset at)
    {
        var status = t.Lifecycle[t.Step];
        var type = t.Step == 0 ? "transaction_created" : status == "error" ? "transaction_error" : "transaction_status_changed";
        var fee = t.Amount.Length > 3 ? "2.5" : "0.1";
        var funded = t.Step >= 2 || status is "completed" or "refunded";
        var json = new System.Text.StringBuilder(1600);
        json.Append($"\"transaction\":{{\"id\":\"{t.Id}\"").Append(Text("sep", t.Sep)).Append(Text("kind", t.Kind)).Append(Text("status", status));
        json.Append(Amount("amount_expected", t.Amount, t.Asset));
        if (funded)
        {
            json.Append(Amount("amount_in", t.Amount, t.Asset)).Append(Amount("amount_out", t.Amount, t.Asset)).Append(Amount("amount_fee", fee, t.Asset));
            json.Append($",\"fee_details\":{{\"total\":\"{fee}\",\"asset\":\"{t.Asset}\",\"details\":[{{\"name\":\"Service fee\",\"amount\":\"{fee}\"}}]}}");
        }
        json.Append(Text("started_at", Instant(t.StartedAt))).Append(Text("updated_at", Instant(at)));
        if (status is "completed" or "refunded")
            json.Append(Text("completed_at", Instant(at))).Append(Text("transfer_received_at", Instant(at - Step)));
        json.Append(Text("message", status.Replace('_', ' ')));
        json.Append(Text(t.Kind.StartsWith("withdrawal", StringComparison.Ordinal) ? "source_account" : "destination_account", t.Account));
        if (status is "pending_stellar" or "completed" or "refunded" && t.Sep != "6")
        {
            var hash = Id(EventSalt ^ 0x57E11A, k).Replace("-", "") + Id(EventSalt ^ 0x57E11B, k).Replace("-", "");
            json.Append($",\"stellar_transactions\":[{{\"id\":\"{hash}\",\"memo\":\"{t.Id[..8]}\",\"memo_type\":\"text\",\"created_at\":\"{Instant(at)}\",\"envelope\":\"AAAAAgAAAAB...\",\"payments\":[{{\"id\":\"{k}\"");
            json.Append($",\"amount\":{{\"amount\":\"{t.Amount}.0000000\",\"asset\":\"{t.Asset}\"}},\"payment_type\":\"payment\"").Append(Text("source_account", t.Account));
            json.Append(Text("destination_account", "GBN4NNCDGJO4XW4KQU3CBIESUJWFVBUZPOKUZHT7W7WRB7CWOA7BXVQF")).Append("}]}]");
        }
        json.Append(Text("client_domain", "wallet.example.com")).Append(Text("client_name", "Example Wallet"));
        if (t.Sender is not null)
            json.Append($",\"customers\":{{\"sender\":{{\"id\":\"{t.Sender}\"}},\"receiver\":{{\"id\":\"{t.Receiver}\"}}}}");
        if (t.Sep == "31") json.Append($",\"creator\":{{\"account\":\"{t.Account}\"}}");
        json.Append('}');
        return Envelope(k, type, at, json.ToString());
    }

    private static string QuoteCreated(long k, long quote, DateTimeOffset at, int sell)
    {
        var (sellAsset, buyAsset) = sell == 0 ? ("iso4217:USD", Assets[0]) : (Assets[0], "iso4217:USD");
        var payload =
            $"\"quote\":{{\"id\":\"{Id(QuoteSalt, quote)}\"" + Text("sell_amount", "102") + Text("sell_asset", sellAsset) + Text("buy_amount", "100") +
            Text("buy_asset", buyAsset) + Text("expires_at", Instant(at + TimeSpan.FromHours(1))) + Text("created_at", Instant(at)) +
            Text("price", "1.02") + Text("total_price", "1.02") + $",\"creator\":{{\"account\":\"{Account(quote)}\"}}" +
            ",\"fee\":{\"total\":\"2\",\"asset\":\"iso4217:USD\",\"details\":[{\"name\":\"Service fee\",\"amount\":\"2\"}]}}";
        return Envelope(k, "quote_created", at, payload);
    }

    private static string CustomerUpdated(long k, long customer, DateTimeOffset at) =>
        Envelope(k, "customer_updated", at, $"\"customer\":{{\"id\":\"{Id(CustomerSalt, customer)}\"}}");
}
