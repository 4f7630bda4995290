namespace Orchestrator.Cli;

/// <summary>Validation of duration flags (<c>--cache-ttl</c>, <c>--older-than</c>), with a message that names the flag.</summary>
internal static class DurationFlags
{
    /// <summary>Adds a validator to <paramref name="option"/> whose message names the flag and the form it takes.</summary>
    public static void Validate(System.CommandLine.Option<string?> option)
    {
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string?>();
            if (value is not null && !Hosting.SizeAndDuration.TryParseDuration(value, out _))
                result.AddError($"{option.Name} '{value}' is not a duration; write it like 336h, 72h30m, 90s or 14d");
        });
    }
}
