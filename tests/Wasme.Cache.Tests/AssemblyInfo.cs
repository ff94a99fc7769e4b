using System.Runtime.Versioning;

// These tests check Unix file modes and start Linux binaries (docker-registry).
[assembly: SupportedOSPlatform("linux")]
