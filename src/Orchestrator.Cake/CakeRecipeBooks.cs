using System.Runtime.CompilerServices;
using Cake.Core;
using Orchestrator.Hosting;
using Orchestrator.Recipes;

namespace Orchestrator.Cake;

/// <summary>The recipes a Cake script declares inline, one book per Cake context.</summary>
internal static class CakeRecipeBooks
{
    private static readonly ConditionalWeakTable<ICakeContext, RecipeBook> s_books = [];

    /// <summary>
    /// The context's book: relative paths resolve against Cake's working directory (the script's folder unless
    /// <c>--working</c> says otherwise); <c>Arg("NAME")</c> reads Cake's argument <c>--NAME=VALUE</c>, then the environment.
    /// </summary>
    public static RecipeBook For(ICakeContext context) =>
        s_books.GetValue(context, c => new RecipeBook(c.Environment.WorkingDirectory.FullPath, Arguments(c))
        {
            BaseImageEnvironment = BuildHost.BaseImageEnvironment(new BuildSettings()),
        });

    private static Dictionary<string, string> Arguments(ICakeContext context) =>
        context.Arguments.GetArguments()
            .Where(a => a.Value.Count > 0)
            .ToDictionary(a => a.Key, a => a.Value.Last(), StringComparer.OrdinalIgnoreCase);
}
