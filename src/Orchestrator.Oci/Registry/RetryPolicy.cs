using System.Net.Sockets;

namespace Orchestrator.Oci.Registry;

/// <summary>
/// The one retry policy for registry traffic: exponential backoff with full jitter on throttling,
/// server errors and dropped connections, for operations that are safe to repeat from the start.
/// </summary>
public sealed class RetryPolicy
{
    private readonly RetryOptions _options;

    public RetryPolicy(RetryOptions options)
    {
        if (options.MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxAttempts must be at least 1");
        _options = options;
    }

    public RetryOptions Options => _options;

    /// <summary>
    /// Runs <paramref name="attempt"/> until it succeeds, fails for good, or the attempts are spent;
    /// the last failure is re-thrown as a <see cref="RegistryException"/> that says how many attempts were made.
    /// </summary>
    public async Task<T> ExecuteAsync<T>(RegistryOperation operation, Func<int, CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        for (var number = 1; ; number++)
        {
            try
            {
                return await attempt(number, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && (IsTransient(e) || IsUntrustedCertificate(e)))
            {
                if (number >= _options.MaxAttempts || !IsTransient(e)) throw GiveUp(operation, e, number);
                await Task.Delay(DelayBefore(number + 1), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public Task ExecuteAsync(RegistryOperation operation, Func<int, CancellationToken, Task> attempt, CancellationToken cancellationToken) =>
        ExecuteAsync<bool>(operation, async (n, ct) => { await attempt(n, ct).ConfigureAwait(false); return true; }, cancellationToken);

    /// <summary>Full jitter: a random delay in [0, min(max, initial·2^(n-2))], so many clients do not retry in step.</summary>
    public TimeSpan DelayBefore(int attemptNumber)
    {
        var exponent = Math.Min(attemptNumber - 2, 20);
        var ceiling = Math.Min(_options.MaxDelay.TotalMilliseconds, _options.InitialDelay.TotalMilliseconds * Math.Pow(2, exponent));
        var jittered = ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2;
        return TimeSpan.FromMilliseconds(jittered);
    }

    public static bool IsTransient(Exception e) => e switch
    {
        RegistryException registry => registry.IsTransient,
        OrchestratorException => false,
        // A certificate that is not trusted stays untrusted on the next attempt.
        HttpRequestException { InnerException: System.Security.Authentication.AuthenticationException } => false,
        HttpRequestException => true,
        IOException => true,
        SocketException => true,
        // HttpClient reports its own timeout as a cancellation that the caller did not ask for.
        TaskCanceledException => true,
        _ => false,
    };

    private static bool IsUntrustedCertificate(Exception e) => e is HttpRequestException { InnerException: System.Security.Authentication.AuthenticationException };

    private static RegistryException GiveUp(RegistryOperation operation, Exception last, int attempts)
    {
        var suffix = attempts == 1 ? "" : $" (gave up after {attempts} attempts)";
        return last switch
        {
            RegistryException registry => new RegistryException(operation, registry.StatusCode, registry.Message + suffix, registry.InnerException ?? registry) { ErrorCodes = registry.ErrorCodes },
            HttpRequestException { InnerException: System.Security.Authentication.AuthenticationException tls } => new RegistryException(operation, null,
                $"the TLS certificate of registry {operation.Registry} is not trusted for {operation}: {Describe(tls)}. Pass --registry-certificate {operation.Registry}=CA.pem with the CA that signed it, or (for a test registry) --skip-tls-verify-registry {operation.Registry}.",
                last),
            _ => new RegistryException(operation, null,
                $"cannot reach registry {operation.Registry} for {operation}: {Describe(last)}{suffix}. Check that the registry is running and the address is right (plain HTTP is used only for localhost and --insecure-registry hosts).",
                last),
        };
    }

    private static string Describe(Exception e)
    {
        var innermost = e;
        while (innermost.InnerException is not null) innermost = innermost.InnerException;
        return innermost == e || e.Message.Contains(innermost.Message, StringComparison.Ordinal) ? e.Message : $"{e.Message} ({innermost.Message})";
    }
}
