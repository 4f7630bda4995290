using System.Net;

namespace Orchestrator.Oci.Registry;

/// <summary>
/// A registry said no (or could not be reached). The message names registry, repository, operation
/// and HTTP status; <see cref="StatusCode"/> is null when no response arrived.
/// </summary>
public sealed class RegistryException : OrchestratorException
{
    public RegistryException(RegistryOperation operation, HttpStatusCode? statusCode, string message, Exception? inner = null)
        : base(message, inner)
    {
        Operation = operation;
        StatusCode = statusCode;
    }

    public RegistryOperation Operation { get; }

    public HttpStatusCode? StatusCode { get; }

    /// <summary>The distribution error codes of the registry's answer (e.g. <c>MANIFEST_BLOB_UNKNOWN</c>); empty when it gave none.</summary>
    public IReadOnlyList<string> ErrorCodes { get; init; } = [];

    /// <summary>Worth another try: throttling, server errors, timeouts, no response at all.</summary>
    public bool IsTransient => StatusCode is null
        or HttpStatusCode.TooManyRequests
        or HttpStatusCode.RequestTimeout
        or >= HttpStatusCode.InternalServerError and not HttpStatusCode.NotImplemented and not HttpStatusCode.HttpVersionNotSupported;
}
