// Base stages made from the host's static busybox (Debian package busybox-static), so examples and
// tests build with no registry and no network. The host's /bin is the build context of that one stage;
// only the busybox binary is copied out of it.
//
// Shape of every file in recipes/ (see docs/recipes.md, "The recipe library"): one public static class in
// the global namespace whose methods take the RecipeBook first, so the file compiles both as a #load-ed
// script and as a Compile item of src/Orchestrator.Recipes.Library; below it, inside
// #if !ORCHESTRATOR_RECIPES_LIBRARY, the short forms a build.csx calls bare (they pass the
// script's globals, Book).
#nullable enable
using Orchestrator.Recipes;

/// <summary>A static busybox (/bin/busybox with its applets linked in /bin) on an empty base.</summary>
public static class BusyboxRecipes
{
    /// <summary>A stage holding the host's static busybox at /bin/busybox with its applets linked in /bin.</summary>
    /// <param name="hostBin">The host folder holding a static <c>busybox</c> (Debian: busybox-static).</param>
    public static RecipeBuilder BusyboxBase(RecipeBook book, string name = "busybox", string hostBin = "/bin") =>
        book.Stage(name)
            .FromScratch()
            .Context(hostBin)
            .Copy("busybox", "/bin/busybox", chmod: "0755")
            .Run("/bin/busybox", "--install", "-s", "/bin");
}

#if !ORCHESTRATOR_RECIPES_LIBRARY
/// <summary>A stage holding a static busybox at /bin/busybox with its applets linked in /bin.</summary>
RecipeBuilder BusyboxBase(string name = "busybox", string hostBin = "/bin") => BusyboxRecipes.BusyboxBase(Book, name, hostBin);
#endif
