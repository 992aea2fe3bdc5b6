namespace Portcullis.Gateway.Identity;

/// <summary>Why a request was not authenticated, as the challenge reports it (RFC 6750 error codes).</summary>
/// <param name="Error"><c>invalid_token</c>, <c>invalid_request</c> or <c>temporarily_unavailable</c>.</param>
/// <param name="Description">What is wrong and what to do; never contains the token.</param>
/// <param name="Status">HTTP status of the answer.</param>
internal sealed record AuthFailure(string Error, string Description, int Status = 401)
{
    public const string ItemKey = "portcullis.auth-failure";

    public const string MissingScopesKey = "portcullis.missing-scopes";
}
