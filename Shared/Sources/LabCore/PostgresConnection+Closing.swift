import PostgresNIO

extension PostgresConnection {
    /// Runs `body` with this connection, then closes it whether `body` returned or threw: a connection opened
    /// for one piece of work (a request, a tooling query) must never outlive it, or PostgreSQL keeps a server
    /// process for it until the client exits.
    public func closing<Result>(after body: (PostgresConnection) async throws -> Result) async throws -> Result {
        do {
            let result = try await body(self)
            try? await self.close()
            return result
        } catch {
            try? await self.close()
            throw error
        }
    }
}
