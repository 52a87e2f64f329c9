using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Receiver.Tests.Infrastructure;

namespace Receiver.Tests.Auth;

public sealed class HstsTests(ReceiverApp app) : IClassFixture<ReceiverApp>
{
    [Fact]
    public async Task Over_HTTPS_the_query_API_sends_HSTS_and_over_HTTP_nothing_redirects()
    {
        var https = app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://receiver.example"), AllowAutoRedirect = false });
        https.DefaultRequestHeaders.Add("X-Api-Key", ReceiverApp.QueryKey);
        var secure = await https.GetAsync("/transactions");
        Assert.Equal(HttpStatusCode.OK, secure.StatusCode);
        Assert.Equal("max-age=31536000", secure.Headers.GetValues("Strict-Transport-Security").Single());

        var plain = await app.CreateQueryClient().GetAsync("/transactions");
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.False(plain.Headers.Contains("Strict-Transport-Security"));
        Assert.Equal(HttpStatusCode.OK, (await app.CreateApClient().PostEventAsync(ApEvents.CustomerUpdated())).StatusCode);
    }
}
