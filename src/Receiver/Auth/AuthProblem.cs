namespace Receiver.Auth;

/// <summary>The short JSON body of every 401: RFC 9457 problem details plus an <c>error</c> code.</summary>
internal static class AuthProblem
{
    public static Task WriteAsync(HttpContext context, string error, string detail) =>
        TypedResults.Problem(
                statusCode: StatusCodes.Status401Unauthorized,
                detail: detail,
                extensions: new Dictionary<string, object?> { ["error"] = error })
            .ExecuteAsync(context);
}
