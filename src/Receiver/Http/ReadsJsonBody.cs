namespace Receiver.Http;

/// <summary>
/// Marks an endpoint that reads its JSON body itself. Unlike <c>Accepts</c>, it leaves content negotiation to the
/// handler, so authentication runs first and a wrong Content-Type gets the handler's own 415 explanation.
/// </summary>
public sealed record ReadsJsonBody;
