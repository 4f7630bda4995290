namespace Orchestrator.Cli;

/// <summary>Repeatable <c>NAME=VALUE</c> options (<c>--build-arg</c>, <c>--label</c>) as a dictionary; a later value wins.</summary>
internal static class KeyValueArguments
{
    /// <param name="missingValue">Value for a bare <c>NAME</c> (Kaniko takes the environment's); null when every value has '='.</param>
    public static Dictionary<string, string> Parse(IEnumerable<string> values, Func<string, string>? missingValue = null)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var equals = value.IndexOf('=');
            if (equals < 0 && missingValue is not null) result[value] = missingValue(value);
            else result[value[..equals]] = value[(equals + 1)..];
        }
        return result;
    }
}
