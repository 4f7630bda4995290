using System.CommandLine;
using Orchestrator.Dockerfiles;
using Orchestrator.Execution;
using Orchestrator.Oci.Registry;

namespace Orchestrator.Cli;

/// <summary>
/// <c>dotnet orchestrate convert Dockerfile [-o build.csx]</c>: writes the typed recipe that builds the same image
/// as the Dockerfile (see <see cref="RecipeScriptWriter"/>), to stdout or to a new file.
/// </summary>
internal sealed class ConvertCommand(TextWriter stdout, TextWriter stderr)
{
    private readonly Argument<string> _dockerfile = new("dockerfile") { Description = "The Dockerfile to convert.", DefaultValueFactory = _ => "Dockerfile" };
    private readonly Option<string?> _output = new("--output", "-o") { Description = "Write the recipe to this file (default: stdout); its folder is where relative paths start." };
    private readonly Option<string?> _context = new("--context", "-c") { Description = "The build context (default: the Dockerfile's folder)." };
    private readonly Option<string?> _target = new("--target") { Description = "The stage that becomes the image (default: the last one)." };
    private readonly Option<string?> _name = new("--name") { Description = "The image recipe's name (default: the Dockerfile's folder name)." };
    private readonly Option<string[]> _buildArgs = new("--build-arg") { Description = "Build argument NAME=VALUE used while converting (repeatable).", Arity = ArgumentArity.ZeroOrMore };
    private readonly Option<string[]> _insecure = new("--insecure-registry") { Description = "Use plain HTTP for this registry host[:port] when reading base images' ENV (repeatable).", Arity = ArgumentArity.ZeroOrMore };
    private readonly Option<bool> _force = new("--force") { Description = "Replace the output file if it exists." };

    public Command Create()
    {
        var command = new Command("convert", "Write the build.csx recipe that builds the same image as a Dockerfile.");
        command.Arguments.Add(_dockerfile);
        foreach (var option in new Option[] { _output, _context, _target, _name, _buildArgs, _insecure, _force }) command.Options.Add(option);
        command.SetAction((result, token) => RunAsync(result, token));
        return command;
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        var dockerfile = Path.GetFullPath(result.GetValue(_dockerfile)!);
        if (!File.Exists(dockerfile))
            throw new OrchestratorException($"Dockerfile '{result.GetValue(_dockerfile)}' not found (looked at {dockerfile}); pass its path, e.g. `dotnet orchestrate convert path/to/Dockerfile -o build.csx`");
        var output = result.GetValue(_output) is { } given ? Path.GetFullPath(given) : null;
        if (output is not null && File.Exists(output) && !result.GetValue(_force))
            throw new OrchestratorException($"'{output}' exists; choose another --output or pass --force to replace it");
        var context = Path.GetFullPath(result.GetValue(_context) ?? Path.GetDirectoryName(dockerfile)!);
        var scriptFolder = output is null ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(output)!;
        var relativeContext = Path.GetRelativePath(scriptFolder, context).Replace('\\', '/');
        var name = result.GetValue(_name) ?? Path.GetFileName(Path.GetDirectoryName(dockerfile)!).ToLowerInvariant();

        var text = await File.ReadAllTextAsync(dockerfile, cancellationToken).ConfigureAwait(false);
        var registry = RegistryClientOptions.FromEnvironment() with { InsecureRegistries = (result.GetValue(_insecure) ?? []).ToList() };
        var document = DockerfileParser.Parse(text, dockerfile, new DockerfileParserOptions
        {
            BuildArgs = KeyValueArguments.Parse(result.GetValue(_buildArgs) ?? []),
            BaseImageEnvironment = new BaseImageEnvironment(registry, null).Lookup,
        });
        foreach (var unresolved in document.UnresolvedVariables) await stderr.WriteLineAsync(unresolved.ToString()).ConfigureAwait(false);
        if (File.Exists(dockerfile + ".dockerignore"))
            await stderr.WriteLineAsync($"warning: {dockerfile}.dockerignore is not read by the recipe; move its patterns into {Path.Combine(context, ".dockerignore")}").ConfigureAwait(false);

        var script = RecipeScriptWriter.Write(document, new RecipeScriptSource(text, name, relativeContext), result.GetValue(_target));
        if (output is null)
        {
            await stdout.WriteAsync(script).ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        Directory.CreateDirectory(scriptFolder);
        var temporary = output + ".tmp-" + Environment.ProcessId;
        await File.WriteAllTextAsync(temporary, script, cancellationToken).ConfigureAwait(false);
        File.Move(temporary, output, overwrite: true);
        await stdout.WriteLineAsync($"wrote {output}; build it with `dotnet orchestrate {Path.GetRelativePath(Directory.GetCurrentDirectory(), output)}`").ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}
