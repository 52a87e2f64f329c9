namespace Receiver.Tests.Infrastructure;

/// <summary>Scoped query keys as an operator configures them (<c>QueryApi:Auth:ApiKey:Clients</c>), for the tests' settings.</summary>
public static class QueryClients
{
    public static Dictionary<string, string?> Settings(params (string Name, string Key, string Scopes)[] clients)
    {
        var settings = new Dictionary<string, string?>();
        foreach (var (i, (name, key, scopes)) in clients.Index())
        {
            settings[$"QueryApi:Auth:ApiKey:Clients:{i}:Name"] = name;
            settings[$"QueryApi:Auth:ApiKey:Clients:{i}:Key"] = key;
            settings[$"QueryApi:Auth:ApiKey:Clients:{i}:Scopes"] = scopes;
        }
        return settings;
    }
}
