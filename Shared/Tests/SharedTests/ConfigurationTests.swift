import LabKit
import LabServer
import Logging
import Testing

@Suite("Configuration and database URLs")
struct ConfigurationTests {
    @Test("command line beats environment beats defaults")
    func precedence() throws {
        let defaults = try LabServerConfiguration.load(defaultDatabase: "scenario_01", arguments: ["server"], environment: [:])
        #expect(defaults.host == "127.0.0.1")
        #expect(defaults.port == 8080)
        #expect(defaults.databaseURL == DatabaseURL(host: "127.0.0.1", port: 54329, username: "lab", password: "lab", database: "scenario_01"))
        let configured = try LabServerConfiguration.load(
            defaultDatabase: "scenario_01",
            arguments: ["server", "--http-port", "9001"],
            environment: ["HTTP_PORT": "9000", "HTTP_HOST": "0.0.0.0", "DATABASE_URL": "postgres://app:s%40cret@db:5432/shop", "LOG_LEVEL": "debug"]
        )
        #expect(configured.port == 9001)
        #expect(configured.host == "0.0.0.0")
        #expect(configured.databaseURL == DatabaseURL(host: "db", port: 5432, username: "app", password: "s@cret", database: "shop"))
        #expect(configured.logLevel == .debug)
        #expect(defaults.poolSize == nil && defaults.poolTimeout == nil)
        let pool = try LabServerConfiguration.load(
            defaultDatabase: "x",
            arguments: ["server"],
            environment: ["DATABASE_POOL_SIZE": "20", "DATABASE_POOL_TIMEOUT_MS": "5000"]
        )
        #expect(pool.poolSize == 20)
        #expect(pool.poolTimeout == .seconds(5))
        // A scenario with a streaming replica (07): its URL, set by the lab.
        #expect(defaults.replicaDatabaseURL == nil)
        let replica = try LabServerConfiguration.load(
            defaultDatabase: "x",
            arguments: ["server"],
            environment: ["REPLICA_DATABASE_URL": "postgres://lab:lab@127.0.0.1:54330/scenario_07"]
        )
        #expect(replica.replicaDatabaseURL == DatabaseURL(host: "127.0.0.1", port: 54330, username: "lab", password: "lab", database: "scenario_07"))
        #expect(throws: DatabaseURLError.self) {
            try LabServerConfiguration.load(defaultDatabase: "x", arguments: ["server"], environment: ["REPLICA_DATABASE_URL": "mysql://x@y/z"])
        }
    }

    @Test("bad values are rejected with a message naming the key")
    func badValues() {
        #expect(throws: ConfigurationError.self) {
            try LabServerConfiguration.load(defaultDatabase: "x", arguments: ["server"], environment: ["HTTP_PORT": "eighty"])
        }
        #expect(throws: ConfigurationError.self) {
            try LabServerConfiguration.load(defaultDatabase: "x", arguments: ["server"], environment: ["LOG_LEVEL": "loud"])
        }
        for bad in ["0", "-3", "twenty", "20000"] {
            #expect(throws: ConfigurationError.self) {
                try LabServerConfiguration.load(defaultDatabase: "x", arguments: ["server"], environment: ["DATABASE_POOL_SIZE": bad])
            }
        }
        do {
            _ = try DatabaseURL("mysql://u@h/db")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("must start with postgres://"))
        }
        #expect(throws: DatabaseURLError.self) { try DatabaseURL("postgres://localhost/db") }
        #expect(throws: DatabaseURLError.self) { try DatabaseURL("postgres://u@localhost:5432") }
        // The password never appears in logs.
        let url = try? DatabaseURL("postgres://u:secret@h:1/d")
        #expect(url?.description == "postgres://u@h:1/d")
    }

    @Test("seed batches cover every id exactly once, whatever the batch size")
    func seedBatches() {
        #expect(Seeder.batches(rows: 250, batchSize: 100) == [1...100, 101...200, 201...250])
        let million = Seeder.batches(rows: 1_000_000, batchSize: 100_000)
        #expect(million.count == 10)
        #expect(million.reduce(0) { $0 + $1.count } == 1_000_000)
        #expect(zip(million, million.dropFirst()).allSatisfy { $0.upperBound + 1 == $1.lowerBound })
        #expect(Seeder.batches(rows: 0, batchSize: 10).isEmpty)
        // Same inputs, same plan: the batch SQL computes every value from the id, so same plan, same rows.
        #expect(Seeder.batches(rows: 12345, batchSize: 1000) == Seeder.batches(rows: 12345, batchSize: 1000))
    }
}

@Suite("Commands extracted from documents")
struct DocCommandsTests {
    @Test("only shell blocks count, comments and other languages are skipped")
    func extraction() {
        let markdown = """
            Run this:
            ```sh
            # terminal 1
            ./lab up 01

            ./lab load 01 --json before.loadtest.json
            ```
            ```text
            ./lab not-a-command
            ```
            ```swift
            let x = 1
            ```
            ```bash
            curl -s http://127.0.0.1:8080/users/42
            ```
            """
        #expect(
            DocCommands.extract(fromMarkdown: markdown) == [
                "./lab up 01", "./lab load 01 --json before.loadtest.json", "curl -s http://127.0.0.1:8080/users/42",
            ]
        )
        #expect(DocCommands.isLongRunning("./lab up 01"))
        #expect(!DocCommands.isLongRunning("./lab load 01"))
        #expect(DocCommands.exitStatusIsVerdict("./lab load 01 --json x"))
        // Environment assignments in front do not change what the command is.
        #expect(DocCommands.isLongRunning("DATABASE_POOL_SIZE=40 DATABASE_POOL_TIMEOUT_MS=2000 ./lab up 03"))
        #expect(DocCommands.program("A=1 ./lab start 03 --fixed") == "./lab start 03 --fixed")
        #expect(DocCommands.program("echo a=b") == "echo a=b")
    }
}

@Suite("SQL scripts")
struct SQLScriptTests {
    @Test("a script splits into statements; comment lines are dropped")
    func split() {
        let script = """
            -- make the tables
            CREATE TABLE a (id int);

            CREATE TABLE b (
                id int
            );
            DROP INDEX IF EXISTS x
            """
        #expect(SQLScript.statements(script) == ["CREATE TABLE a (id int);", "CREATE TABLE b (\n    id int\n);", "DROP INDEX IF EXISTS x"])
    }
}
