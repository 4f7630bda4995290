using System.Runtime.CompilerServices;
using Orchestrator.Dockerfiles;

namespace Orchestrator.Recipes;

/// <summary>
/// The recipe DSL's entry points (<c>Image</c>, <c>Stage</c>, <c>Dockerfile</c>, <c>Arg</c>, <c>Target</c>).
/// A build script's globals derive from it; Cake and Nuke builds use it directly.
/// </summary>
public class RecipeBook
{
    private readonly List<RecipeBuilder> _recipes = [];
    private readonly List<TargetGroup> _targets = [];
    private readonly Dictionary<string, string> _usedArgs = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, string> _buildArgs;
    private readonly Func<string, string?> _environment;

    /// <param name="baseDirectory">Folder that relative paths (contexts, outputs, Dockerfiles) resolve against: the root script's folder.</param>
    /// <param name="buildArgs">Values given with <c>--build-arg NAME=VALUE</c>.</param>
    /// <param name="environment">Environment lookup for <see cref="Arg"/>; defaults to the process environment.</param>
    public RecipeBook(string? baseDirectory = null, IReadOnlyDictionary<string, string>? buildArgs = null, Func<string, string?>? environment = null)
    {
        BaseDirectory = Path.GetFullPath(baseDirectory ?? Environment.CurrentDirectory);
        _buildArgs = buildArgs ?? new Dictionary<string, string>();
        _environment = environment ?? Environment.GetEnvironmentVariable;
    }

    public string BaseDirectory { get; }

    /// <summary>
    /// Looks up the ENV of a registry image by reference, so an imported Dockerfile's <c>ENV PATH=/x:$PATH</c>
    /// sees the base image's PATH like Docker does. Null: such variables are unknown (they expand to nothing).
    /// </summary>
    public Func<string, IReadOnlyDictionary<string, string>?>? BaseImageEnvironment { get; set; }

    /// <summary>An image: a final stage that is built by default and has destinations.</summary>
    public RecipeBuilder Image(string name, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Register(new RecipeBuilder(name, isImage: true, CallSite.At(file, line, nameof(Image)), this));

    /// <summary>An intermediate stage: built only when an image or target needs it.</summary>
    public RecipeBuilder Stage(string name, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Register(new RecipeBuilder(name, isImage: false, CallSite.At(file, line, nameof(Stage)), this));

    /// <summary>
    /// Imports a Dockerfile as an image recipe. The image is named <paramref name="name"/> (default: the
    /// Dockerfile's folder name); its other stages become stages named <c>image/stage</c>.
    /// </summary>
    /// <param name="path">The Dockerfile, relative to the root script's folder.</param>
    /// <param name="target">The stage to build (<c>--target</c>); default the last one.</param>
    /// <param name="context">The build context; default the Dockerfile's folder.</param>
    public RecipeBuilder Dockerfile(string path, string? target = null, string? context = null, string? name = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var location = CallSite.At(file, line, nameof(Dockerfile));
        var fullPath = Path.GetFullPath(path, BaseDirectory);
        if (!File.Exists(fullPath))
            throw new RecipeException([new RecipeError(location, $"Dockerfile '{path}' not found (looked at {fullPath}); give a path relative to {BaseDirectory}")]);
        var contextPath = context is null ? Path.GetDirectoryName(fullPath)! : Path.GetFullPath(context, BaseDirectory);
        var imageName = name ?? Path.GetFileName(Path.GetDirectoryName(fullPath)!).ToLowerInvariant();
        var document = DockerfileParser.Parse(File.ReadAllText(fullPath), fullPath, new DockerfileParserOptions { BuildArgs = _buildArgs, BaseImageEnvironment = BaseImageEnvironment });
        return DockerfileImport.Register(this, document, imageName, target, contextPath, location, fullPath);
    }

    /// <summary>A build argument: from <c>--build-arg NAME=VALUE</c>, then the environment variable NAME, then <paramref name="defaultValue"/>.</summary>
    public string Arg(string name, string? defaultValue = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var value = _buildArgs.TryGetValue(name, out var given) ? given : _environment(name) ?? defaultValue;
        if (value is null)
            throw new RecipeException([new RecipeError(CallSite.At(file, line, nameof(Arg)), $"build argument '{name}' has no value: pass --build-arg {name}=VALUE, set the environment variable {name}, or give a default")]);
        _usedArgs[name] = value;
        return value;
    }

    /// <summary>A named group of recipes; <c>dotnet orchestrate build.csx NAME</c> builds it. With no target named, every image is built.</summary>
    public TargetGroup Target(string name, params RecipeBuilder[] recipes)
    {
        var group = new TargetGroup(name, recipes.Select(r => r.Name).ToEquatableArray(), CallSite.Capture(nameof(Target)));
        _targets.Add(group);
        return group;
    }

    /// <summary>
    /// How <c>--backend kubernetes</c> runs this build (namespace, executor image, resources, scheduling, retries, push
    /// secret); flags given on the command line win. Called again, it adds to what was set.
    /// </summary>
    public void Kubernetes(Action<KubernetesSettingsBuilder> configure, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var builder = new KubernetesSettingsBuilder(KubernetesSettings, CallSite.At(file, line, nameof(Kubernetes)));
        configure(builder);
        KubernetesSettings = builder.Settings;
    }

    /// <summary>What the script set with <see cref="Kubernetes"/>.</summary>
    public KubernetesSettings KubernetesSettings { get; private set; } = new();

    /// <summary>The declared recipes as an immutable, validated set.</summary>
    public RecipeSet Build(RecipeValidationOptions? options = null)
    {
        var set = new RecipeSet(_recipes.Select(r => r.Build()).ToEquatableArray(), _targets.ToEquatableArray())
        {
            Args = new Dictionary<string, string>(_usedArgs),
        };
        var errors = _recipes.Where(r => !r.HasBase)
            .Select(r => new RecipeError(r.Location, $"{(r.IsImage ? "image" : "stage")} '{r.Name}' has no base: call .From(\"image:tag\"), .From(stage) or .FromScratch()"))
            .Concat(RecipeValidator.Validate(set, options ?? RecipeValidationOptions.Default))
            .ToList();
        if (errors.Count > 0) throw new RecipeException(errors);
        return set;
    }

    internal IReadOnlyDictionary<string, string> BuildArgs => _buildArgs;

    internal RecipeBuilder Register(RecipeBuilder builder)
    {
        _recipes.Add(builder);
        return builder;
    }
}
