namespace Wasme.Testing.Registry;

/// <summary>How a test docker-registry authenticates clients.</summary>
public enum RegistryAuthMode
{
    Anonymous,
    Htpasswd,
    Token,
}
