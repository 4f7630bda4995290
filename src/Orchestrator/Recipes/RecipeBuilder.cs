using System.Runtime.CompilerServices;

namespace Orchestrator.Recipes;

/// <summary>
/// Fluent builder of one stage or image. Every call records the caller's file and line so
/// validation errors point into the user's script. Relative paths (context, outputs) resolve
/// against the root script's folder, also when a recipe library loaded with <c>#load</c> makes the call.
/// </summary>
public sealed class RecipeBuilder
{
    private readonly List<Instruction> _instructions = [];
    private readonly List<string> _destinations = [];
    private readonly List<SourceLocation> _destinationLocations = [];
    private readonly List<string> _outputs = [];
    private readonly List<string> _dependsOn = [];
    private ImageSource? _base;
    private string? _context;
    private string? _ignoreFile;
    private string? _platform;
    private EquatableArray<ArgInstruction> _inheritedArgs = [];
    private string? _cacheRepo;

    private readonly RecipeBook _book;

    internal RecipeBuilder(string name, bool isImage, SourceLocation location, RecipeBook book)
    {
        _book = book;
        Name = name;
        IsImage = isImage;
        Location = location;
    }

    public string Name { get; }

    public bool IsImage { get; }

    public SourceLocation Location { get; }

    internal SourceLocation? BaseLocation { get; private set; }

    /// <summary>
    /// The base image: a registry reference (<c>debian:bookworm-slim</c>), <c>scratch</c>, or an OCI image
    /// layout as <c>oci:PATH[:TAG]</c> with PATH relative to the root script's folder (like Context and Output).
    /// </summary>
    public RecipeBuilder From(string reference, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        BaseLocation = At(file, line, nameof(From));
        _base = string.Equals(reference, "scratch", StringComparison.OrdinalIgnoreCase) ? ImageSource.Scratch.Instance : ImageOrLayout(reference);
        return this;
    }

    public RecipeBuilder From(RecipeBuilder stage, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        BaseLocation = At(file, line, nameof(From));
        _base = new ImageSource.Stage(stage.Name);
        return this;
    }

    public RecipeBuilder FromScratch([CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        BaseLocation = At(file, line, nameof(FromScratch));
        _base = ImageSource.Scratch.Instance;
        return this;
    }

    /// <summary>The build context folder, relative to the root script's folder.</summary>
    public RecipeBuilder Context(string directory, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        _context = ResolvePath(directory);
        return this;
    }

    public RecipeBuilder Run(string shell, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new RunInstruction(Command.Shell(shell), RunOptions.Default), file, line, nameof(Run));

    public RecipeBuilder Run(params string[] exec) =>
        Add(new RunInstruction(Command.Exec(exec), RunOptions.Default), "", 0, nameof(Run));

    public RecipeBuilder Run(string shell, Action<RunOptionsBuilder> options, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new RunInstruction(Command.Shell(shell), BuildOptions(options)), file, line, nameof(Run));

    public RecipeBuilder Run(string[] exec, Action<RunOptionsBuilder> options, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new RunInstruction(Command.Exec(exec), BuildOptions(options)), file, line, nameof(Run));

    /// <summary>Copies <paramref name="source"/> of the build context; <paramref name="link"/> is Dockerfile's <c>COPY --link</c>.</summary>
    public RecipeBuilder Copy(string source, string destination, string? chown = null, string? chmod = null, bool link = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new CopyInstruction([source], destination) { Chown = chown, Chmod = chmod, Link = link }, file, line, nameof(Copy));

    public RecipeBuilder Copy(string[] sources, string destination, string? chown = null, string? chmod = null, bool link = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new CopyInstruction(sources, destination) { Chown = chown, Chmod = chmod, Link = link }, file, line, nameof(Copy));

    /// <summary>
    /// Writes <paramref name="content"/> as a file of the image, like a Dockerfile <c>COPY &lt;&lt;EOF</c> here-document:
    /// <c>CopyText("listen 8080\n", "/etc/app.conf", chmod: "0644")</c>. The file is 0664 unless <paramref name="chmod"/>
    /// says otherwise, owned by root or <paramref name="chown"/>; a destination ending in '/' needs <paramref name="name"/>.
    /// </summary>
    public RecipeBuilder CopyText(string content, string destination, string? chown = null, string? chmod = null, string? name = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new CopyInstruction([], destination) { Inline = [new InlineFile(name ?? (destination.EndsWith('/') ? "" : destination.Split('/')[^1]), content)], Chown = chown, Chmod = chmod }, file, line, nameof(CopyText));

    /// <summary>
    /// Several inline files (and, before them, <paramref name="sources"/> of the context) in one step, like a Dockerfile
    /// <c>COPY a.txt &lt;&lt;one &lt;&lt;two /docs/</c>: <c>CopyText([("one", "first\n"), ("two", "second\n")], "/docs/", sources: ["a.txt"])</c>.
    /// </summary>
    public RecipeBuilder CopyText((string Name, string Content)[] files, string destination, string[]? sources = null, string? chown = null, string? chmod = null, bool link = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new CopyInstruction(sources ?? [], destination) { Inline = Inline(files), Chown = chown, Chmod = chmod, Link = link }, file, line, nameof(CopyText));

    /// <summary>Like <see cref="CopyText((string Name, string Content)[], string, string[], string, string, bool, string, int)"/> but an ADD step (<c>ADD &lt;&lt;EOF /dest/</c>); inline files are written as they are, never unpacked.</summary>
    public RecipeBuilder AddText((string Name, string Content)[] files, string destination, string[]? sources = null, string? chown = null, string? chmod = null, bool link = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new AddInstruction(sources ?? [], destination) { Inline = Inline(files), Chown = chown, Chmod = chmod, Link = link }, file, line, nameof(AddText));

    private static EquatableArray<InlineFile> Inline((string Name, string Content)[] files) =>
        files.Select(f => new InlineFile(f.Name, f.Content)).ToEquatableArray();

    /// <summary>Copies <paramref name="source"/> out of another stage's result.</summary>
    public RecipeBuilder CopyFrom(RecipeBuilder stage, string source, string destination, string? chown = null, string? chmod = null, bool link = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new CopyInstruction([source], destination) { From = new ImageSource.Stage(stage.Name), Chown = chown, Chmod = chmod, Link = link }, file, line, nameof(CopyFrom));

    /// <summary>Copies several paths out of another stage's result in one step.</summary>
    public RecipeBuilder CopyFrom(RecipeBuilder stage, string[] sources, string destination, string? chown = null, string? chmod = null, bool link = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new CopyInstruction(sources, destination) { From = new ImageSource.Stage(stage.Name), Chown = chown, Chmod = chmod, Link = link }, file, line, nameof(CopyFrom));

    /// <summary>
    /// Copies <paramref name="source"/> out of an image, e.g. <c>CopyFrom("busybox:1.36", "/bin/busybox", "/bin/")</c>;
    /// <c>oci:PATH[:TAG]</c> reads an OCI image layout instead.
    /// </summary>
    public RecipeBuilder CopyFrom(string image, string source, string destination, string? chown = null, string? chmod = null, bool link = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new CopyInstruction([source], destination) { From = ImageOrLayout(image), Chown = chown, Chmod = chmod, Link = link }, file, line, nameof(CopyFrom));

    /// <summary>Copies several paths out of an image in one step.</summary>
    public RecipeBuilder CopyFrom(string image, string[] sources, string destination, string? chown = null, string? chmod = null, bool link = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new CopyInstruction(sources, destination) { From = ImageOrLayout(image), Chown = chown, Chmod = chmod, Link = link }, file, line, nameof(CopyFrom));

    /// <summary>Like Copy, but local tar archives are extracted and URLs downloaded (verified against <paramref name="checksum"/> when given).</summary>
    public RecipeBuilder Add(string source, string destination, string? chown = null, string? chmod = null, string? checksum = null, bool link = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new AddInstruction([source], destination) { Chown = chown, Chmod = chmod, Checksum = checksum, Link = link }, file, line, nameof(Add));

    public RecipeBuilder Add(string[] sources, string destination, string? chown = null, string? chmod = null, string? checksum = null, bool link = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new AddInstruction(sources, destination) { Chown = chown, Chmod = chmod, Checksum = checksum, Link = link }, file, line, nameof(Add));

    public RecipeBuilder Env(string name, string value, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new EnvInstruction([new(name, value)]), file, line, nameof(Env));

    /// <summary>Several variables in one step (one history entry), like <c>ENV A=1 B=2</c>: <c>Env(("A", "1"), ("B", "2"))</c>.</summary>
    public RecipeBuilder Env(params (string Name, string Value)[] variables) =>
        Add(new EnvInstruction(variables.Select(v => new KeyValuePair<string, string>(v.Name, v.Value)).ToEquatableArray()), "", 0, nameof(Env));

    public RecipeBuilder Workdir(string path, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new WorkdirInstruction(path), file, line, nameof(Workdir));

    public RecipeBuilder User(string user, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new UserInstruction(user), file, line, nameof(User));

    public RecipeBuilder Label(string key, string value, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new LabelInstruction([new(key, value)]), file, line, nameof(Label));

    /// <summary>Several labels in one step, like <c>LABEL a=1 b=2</c>.</summary>
    public RecipeBuilder Label(params (string Key, string Value)[] labels) =>
        Add(new LabelInstruction(labels.Select(l => new KeyValuePair<string, string>(l.Key, l.Value)).ToEquatableArray()), "", 0, nameof(Label));

    /// <summary>The image's author (Dockerfile <c>MAINTAINER</c>, deprecated there; a label is the modern way).</summary>
    public RecipeBuilder Maintainer(string maintainer, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new MaintainerInstruction(maintainer), file, line, nameof(Maintainer));

    public RecipeBuilder Expose(params string[] ports) => Add(new ExposeInstruction(ports), "", 0, nameof(Expose));

    public RecipeBuilder Volume(params string[] paths) => Add(new VolumeInstruction(paths), "", 0, nameof(Volume));

    /// <summary>Exec-form ENTRYPOINT.</summary>
    public RecipeBuilder Entrypoint(params string[] arguments) => Add(new EntrypointInstruction(Command.Exec(arguments)), "", 0, nameof(Entrypoint));

    /// <summary>Exec-form CMD.</summary>
    public RecipeBuilder Cmd(params string[] arguments) => Add(new CmdInstruction(Command.Exec(arguments)), "", 0, nameof(Cmd));

    /// <summary>Shell-form ENTRYPOINT (<c>ENTRYPOINT exec app</c>): run by the stage's SHELL.</summary>
    public RecipeBuilder EntrypointShell(string command, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new EntrypointInstruction(Command.Shell(command)), file, line, nameof(EntrypointShell));

    /// <summary>Shell-form CMD (<c>CMD echo hi</c>): run by the stage's SHELL.</summary>
    public RecipeBuilder CmdShell(string command, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new CmdInstruction(Command.Shell(command)), file, line, nameof(CmdShell));

    public RecipeBuilder Healthcheck(string[] test, TimeSpan? interval = null, TimeSpan? timeout = null, TimeSpan? startPeriod = null, int? retries = null, TimeSpan? startInterval = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new HealthcheckInstruction(Command.Exec(test)) { Interval = interval, Timeout = timeout, StartPeriod = startPeriod, Retries = retries, StartInterval = startInterval }, file, line, nameof(Healthcheck));

    /// <summary>A healthcheck run by the stage's SHELL (<c>HEALTHCHECK CMD wget -q -O- localhost || exit 1</c>).</summary>
    public RecipeBuilder Healthcheck(string shellCommand, TimeSpan? interval = null, TimeSpan? timeout = null, TimeSpan? startPeriod = null, int? retries = null, TimeSpan? startInterval = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new HealthcheckInstruction(Command.Shell(shellCommand)) { Interval = interval, Timeout = timeout, StartPeriod = startPeriod, Retries = retries, StartInterval = startInterval }, file, line, nameof(Healthcheck));

    /// <summary>
    /// Records a trigger in the image config (<c>ONBUILD RUN make</c>): it runs right after FROM in an image built
    /// on this one, with that build's context, and is not passed on further. Written as a Dockerfile instruction,
    /// e.g. <c>OnBuild("COPY . /app/src")</c>.
    /// </summary>
    public RecipeBuilder OnBuild(string trigger, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new OnbuildInstruction(trigger), file, line, nameof(OnBuild));

    /// <summary>Turns off a healthcheck inherited from the base (<c>HEALTHCHECK NONE</c>).</summary>
    public RecipeBuilder HealthcheckNone([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new HealthcheckInstruction((Command?)null), file, line, nameof(HealthcheckNone));

    public RecipeBuilder StopSignal(string signal, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new StopSignalInstruction(signal), file, line, nameof(StopSignal));

    public RecipeBuilder Shell(params string[] shell) => Add(new ShellInstruction(shell), "", 0, nameof(Shell));

    public RecipeBuilder Platform(string platform, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        _platform = platform;
        return this;
    }

    /// <summary>
    /// Declares a stage build argument (Dockerfile <c>ARG</c>): its value (<c>--build-arg</c>, else
    /// <paramref name="defaultValue"/>) is visible to later RUN steps and part of their cache keys.
    /// </summary>
    public RecipeBuilder BuildArg(string name, string? defaultValue = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Add(new ArgInstruction(name, _book.BuildArgs.TryGetValue(name, out var given) ? given : defaultValue), file, line, nameof(BuildArg));

    public RecipeBuilder CacheRepo(string reference, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        _cacheRepo = reference;
        return this;
    }

    public RecipeBuilder Destination(params string[] references)
    {
        var location = CallSite.Capture(nameof(Destination));
        foreach (var reference in references)
        {
            _destinations.Add(reference);
            _destinationLocations.Add(location);
        }
        return this;
    }

    /// <summary>Writes the image locally: a folder becomes an OCI layout, a path ending in <c>.tar</c> a docker-archive.</summary>
    public RecipeBuilder Output(string path, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        _outputs.Add(ResolvePath(path));
        return this;
    }

    public RecipeBuilder DependsOn(params RecipeBuilder[] recipes)
    {
        _dependsOn.AddRange(recipes.Select(r => r.Name));
        return this;
    }

    /// <summary>Appends already-built steps (used by the Dockerfile importer).</summary>
    internal RecipeBuilder AddInstructions(IEnumerable<Instruction> instructions)
    {
        _instructions.AddRange(instructions);
        return this;
    }

    internal void SetBase(ImageSource source, SourceLocation location)
    {
        _base = source;
        BaseLocation = location;
    }

    internal void SetContext(string? context) => _context = context;

    internal void SetIgnoreFile(string? ignoreFile) => _ignoreFile = ignoreFile;

    internal void SetPlatform(string? platform) => _platform = platform;

    internal void SetInheritedArgs(EquatableArray<ArgInstruction> args) => _inheritedArgs = args;

    public StageRecipe Build() =>
        new(Name, IsImage, _base ?? ImageSource.Scratch.Instance, _instructions.ToEquatableArray(), Location)
        {
            Context = _context,
            IgnoreFile = _ignoreFile,
            BaseLocation = BaseLocation,
            Platform = _platform,
            InheritedArgs = _inheritedArgs,
            CacheRepo = _cacheRepo,
            Destinations = _destinations.ToEquatableArray(),
            DestinationLocations = _destinationLocations.ToEquatableArray(),
            Outputs = _outputs.ToEquatableArray(),
            DependsOn = _dependsOn.ToEquatableArray(),
        };

    internal bool HasBase => _base is not null;

    private RecipeBuilder Add(Instruction instruction, string file, int line, string member)
    {
        _instructions.Add(instruction with { Location = At(file, line, member) });
        return this;
    }

    private static SourceLocation At(string file, int line, string member) => CallSite.At(file, line, member);

    private RunOptions BuildOptions(Action<RunOptionsBuilder> configure)
    {
        var builder = new RunOptionsBuilder(_book.BaseDirectory);
        configure(builder);
        return builder.Build();
    }

    private string ResolvePath(string path) => Path.GetFullPath(path, _book.BaseDirectory);

    private ImageSource ImageOrLayout(string reference) =>
        ImageSource.Layout.IsLayoutText(reference) ? ImageSource.Layout.Parse(reference, _book.BaseDirectory) : new ImageSource.Registry(reference);
}
