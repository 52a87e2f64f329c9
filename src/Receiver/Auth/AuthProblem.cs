using Microsoft.AspNetCore.Http.HttpResults;

namespace Receiver.Auth;

/// <summary>
/// The answer to every failed authentication: a 401 with a short JSON body (RFC 9457 problem details plus an
/// <c>error</c> code), or a 429 once the client's address is over the failed-authentication limit.
/// </summary>
internal static class AuthProblem
{
    public static Task WriteAsync(HttpContext context, string error, string detail)
    {
        var limit = context.RequestServices.GetRequiredService<FailedAuthLimit>();
        if (limit.IsOverLimit(context)) return limit.RefuseAsync(context);
        return TypedResults.Problem(
                statusCode: StatusCodes.Status401Unauthorized,
                detail: detail,
                extensions: new Dictionary<string, object?> { ["error"] = error })
            .ExecuteAsync(context);
    }

    /// <summary>A 403 for a caller whose credential lacks <paramref name="scope"/>, naming it.</summary>
    public static ProblemHttpResult InsufficientScope(string scope) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status403Forbidden,
            detail: $"This credential does not hold the scope '{scope}', which this request needs.",
            extensions: new Dictionary<string, object?> { ["error"] = "insufficient_scope", ["scope"] = scope });
}
