namespace Orchestrator.Recipes;

/// <summary>
/// A command as Docker knows it: shell form (one string run by the stage's shell) or exec form
/// (an argument vector run directly).
/// </summary>
public sealed record Command(bool IsShellForm, EquatableArray<string> Arguments)
{
    public static Command Shell(string text) => new(true, [text]);

    public static Command Exec(params string[] arguments) => new(false, arguments);

    /// <summary>The shell text of a shell-form command.</summary>
    public string ShellText => IsShellForm ? Arguments[0] : throw new InvalidOperationException("exec-form command has no shell text");

    public bool IsEmpty => IsShellForm ? string.IsNullOrWhiteSpace(Arguments[0]) : Arguments.Count == 0 || Arguments.All(string.IsNullOrEmpty);

    /// <summary>The argument vector to execute given the stage's shell (default <c>/bin/sh -c</c>).</summary>
    public IReadOnlyList<string> ToArgv(IReadOnlyList<string> shell) => IsShellForm ? [.. shell, Arguments[0]] : Arguments;

    public override string ToString() => IsShellForm ? Arguments[0] : "[" + string.Join(", ", Arguments.Select(a => "\"" + a + "\"")) + "]";
}
