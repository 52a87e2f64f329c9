using System.Text.Json;

namespace Receiver.Reconciliation;

/// <summary>
/// AP's REST Platform API, served by every AP line (PlatformController, at 2.10.2, 3.1.4 and 4.3.0; deprecated
/// since 3.0 but still there): <c>GET /transactions</c> answers <c>{"records": [...]}</c> and
/// <c>GET /transactions/{id}</c> one transaction, 404 when AP does not know it. Paths are appended to the base URL,
/// as AP's own PlatformApiClient appends them.
/// </summary>
internal sealed class RestPlatformApi(PlatformApiHttp http) : IPlatformApi
{
    public async Task<List<JsonElement>> ListAsync(string sep, int pageNumber, int pageSize, CancellationToken cancellationToken)
    {
        // As AP's own client sends them (PlatformApiClient.getTransactions): sep as "6", "24" or "31", order_by and
        // order in lower case. AP's StringEnumConverter takes any case; it has no default for sep.
        var url = $"transactions?sep={sep}&order_by=created_at&order=desc&page_number={pageNumber}&page_size={pageSize}";
        var call = $"GET /{url}";
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        using var document = await http.SendAsync(request, call, cancellationToken)
                             ?? throw new PlatformApiException($"{call} answered 404: is Reconciliation:PlatformApiBaseUrl AP's platform server?");
        return PlatformApiHttp.Records(document.RootElement, call);
    }

    public async Task<PlatformLookup> GetAsync(string id, CancellationToken cancellationToken)
    {
        var url = $"transactions/{Uri.EscapeDataString(id)}";
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        using var document = await http.SendAsync(request, $"GET /{url}", cancellationToken);
        return document is null
            ? PlatformLookup.Missing("AP's Platform API does not know it (GET /transactions/{id} answered 404)")
            : PlatformLookup.Found(document.RootElement.Clone());
    }
}
