using Receiver.Bench;

// bench/Receiver.Bench: the load generators bench/run needs that wrk cannot be (SSE consumers, latency across instances,
// the loader and queries of bench/size), and the micro-benchmarks of the receiver's own work per event.
return args.FirstOrDefault() switch
{
    "feed-latency" => await FeedLatency.RunAsync(Arguments.Parse(args[1..])),
    "idle-streams" => await IdleStreams.RunAsync(Arguments.Parse(args[1..])),
    "soak" => await Soak.RunAsync(Arguments.Parse(args[1..])),
    "size-load" => await SizeLoad.RunAsync(Arguments.Parse(args[1..])),
    "size-queries" => await SizeQueries.RunAsync(Arguments.Parse(args[1..])),
    "storage-alone" => await StorageAlone.RunAsync(Arguments.Parse(args[1..])),
    "stalls" => await Stalls.RunAsync(Arguments.Parse(args[1..])),
    "floor-get" => await FloorGet.RunAsync(Arguments.Parse(args[1..])),
    "write-script" => WriteScript.Run(Arguments.Parse(args[1..])),
    "micro" => Micro.Run(args[1..]),
    "allocations" => await AllocationSample.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage:
          Receiver.Bench feed-latency --post URL --stream URL --secret S --query-key K [--rate 500] [--seconds 20]
              POSTs AP events to one instance at a steady rate while an SSE consumer follows another; prints the
              delay from each 200 to the event's arrival on the stream.
          Receiver.Bench idle-streams --stream URL --query-key K --pid PID [--clients 1000] [--hold 10]
              Opens idle SSE streams and prints the receiver's resident memory before and after.
          Receiver.Bench soak --post URL --secret S --query-key K --pid PID [--rate 1000] [--seconds 600]
              Ingest at a steady rate with queries, an SSE and a long-poll consumer that must see every acknowledged
              event; prints rates, errors and resident memory every 10 s.
          Receiver.Bench size-load (--connection CS [--batch 2000] | --post URL --secret S) [--from 0] [--to 1000000]
              Stores events [from, to) of bench/size's AP traffic: through the receiver's own parse, validation and
              EventStore batches, or POSTed to /event one at a time; prints events/s.
          Receiver.Bench size-queries --url URL --query-key K --events N [--requests 20] [--budget 20] [--limit 100]
                                      [--deep-page 40] [--walk-transactions 50000] [--walk-budget 300] [--catch-up-budget 60]
              The query API at size, one request at a time: list filters alone and combined (first and deep page),
              single reads, a full cursor walk, the feed catch-up; prints markdown tables.
          Receiver.Bench storage-alone --connection CS [--clients 1] [--seconds 15] [--transactions 100000] [--path store|writer]
              The receiver's own write of one event (EventStore, or through the group-commit EventWriter), in a loop
              per client, without HTTP: prints events/s.
          Receiver.Bench stalls --post URL --secret S --pid PID [--seconds 60] [--factor 5] [--pg-log FILE]
              POSTs AP events one at a time and tells what overlapped each request slower than factor × the median:
              the receiver's GC pauses, thread-pool changes, lock contention and JIT (EventPipe), PostgreSQL's
              checkpoints and autovacuum (its log), the load generator's own GC.
          Receiver.Bench floor-get --url URL --connection CS
              Serves GET /transactions/{id} with the receiver's statement and nothing else (no auth, no middleware):
              the least such a GET costs on Kestrel and Npgsql, measured beside the receiver's.
          Receiver.Bench write-script [--transactions 100000]
              Prints a pgbench script sending that same write of one event as EventStore sends it.
          Receiver.Bench micro [BenchmarkDotNet arguments, e.g. --filter '*']
              BenchmarkDotNet micro-benchmarks of the receiver's own work per event: parse and validate, the token check.
          Receiver.Bench allocations parse-and-validate|token
              Bytes per operation of one of those two, and the types allocated, sampled by the runtime.
          Receiver.Bench allocations --pid PID [--seconds 5]
              The types a running receiver allocates meanwhile (under a load run beside it), read over EventPipe.
        """);
    return 2;
}
