using Polly;
using Polly.Retry;

namespace CapiUpgrade.Kubernetes.Retries;

/// <summary>
/// Runs a call with retries per <see cref="RetryOptions"/> (Polly retry strategy: exponential backoff with
/// jitter, honouring a server-provided delay such as Retry-After). The predicate decides what is transient.
/// </summary>
public sealed class RetryRunner
{
    private readonly ResiliencePipeline _pipeline;

    /// <summary>Creates a runner.</summary>
    /// <param name="options">The budget.</param>
    /// <param name="isTransient">Which failures to retry.</param>
    /// <param name="serverDelay">A delay the server asked for (e.g. Retry-After), null if none.</param>
    public RetryRunner(RetryOptions options, Func<Exception, bool> isTransient, Func<Exception, TimeSpan?>? serverDelay = null)
    {
        Options = options;
        if (options.MaxAttempts <= 1)
        {
            _pipeline = ResiliencePipeline.Empty;
            return;
        }
        _pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.InitialDelay,
                MaxDelay = options.MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && !args.Context.CancellationToken.IsCancellationRequested && isTransient(e)),
                DelayGenerator = args =>
                {
                    var asked = args.Outcome.Exception is { } e ? serverDelay?.Invoke(e) : null;
                    return ValueTask.FromResult(asked is { } d ? (TimeSpan?)(d > options.MaxRetryAfter ? options.MaxRetryAfter : d) : null);
                },
            })
            .Build();
    }

    /// <summary>The budget in force.</summary>
    public RetryOptions Options { get; }

    /// <summary>Runs <paramref name="call"/>, retrying transient failures; the last failure is rethrown.</summary>
    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        await _pipeline.ExecuteAsync(async token => await call(token), cancellationToken);

    /// <summary>A runner for Kubernetes API calls: <see cref="ApiFailures.IsTransient"/>, Retry-After honoured.</summary>
    public static RetryRunner ForKubernetes(RetryOptions options) =>
        new(options, e => ApiFailures.IsTransient(e), ApiFailures.RetryAfter);
}
