// Base stages made from the host's static busybox (Debian package busybox-static), so examples and
// tests build with no registry and no network. The host's /bin is the build context of that one stage;
// only the busybox binary is copied out of it.

/// <summary>A stage holding a static busybox at /bin/busybox with its applets linked in /bin.</summary>
RecipeBuilder BusyboxBase(string name = "busybox", string hostBin = "/bin") =>
    Stage(name)
        .FromScratch()
        .Context(hostBin)
        .Copy("busybox", "/bin/busybox", chmod: "0755")
        .Run("/bin/busybox", "--install", "-s", "/bin");
