import Foundation
import LabKit
import LabPanel
import LabTesting
import Testing

/// The Codespaces / Docker Compose files, checked with real tools but no Docker engine (none runs here or in
/// CI): `docker-compose config` (Debian's docker-compose 1.29 validates without an engine), the official
/// JSON schemas (Shared/Tests/Schemas), `promtool`, and the paths every file names.
///
/// What only a real Codespace can prove (the image builds, ports forward, Grafana renders) is listed in the
/// README's Codespaces section.
@Suite("Codespaces and Docker Compose files (no Docker engine needed)")
struct InfrastructureTests {
    static let datasourceUID = "PBFA97CFB590B2093"
    let paths: LabPaths

    init() throws {
        self.paths = try LabPaths.discover(from: URL(fileURLWithPath: #filePath))
    }

    var root: URL { self.paths.root }
    var composeFiles: [URL] {
        [self.root.appendingPathComponent("docker-compose.base.yml")]
            + self.paths.scenarioFolders().map { $0.appendingPathComponent("docker-compose.yml") }
    }

    func devcontainer(for scenarioFolder: URL) -> URL {
        self.root.appendingPathComponent(".devcontainer/\(scenarioFolder.lastPathComponent)/devcontainer.json")
    }

    func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

    /// `docker-compose config`: the file as Compose understands it, `extends` merged and paths absolute.
    func composeConfig(_ file: URL) throws -> [String: Any] {
        let compose = try #require(
            Shell.which("docker-compose"),
            "docker-compose is not installed: apt-get install --no-install-recommends docker-compose"
        )
        let output = try Shell.capture([compose, "-f", file.path, "config"])
        try #require(output.status == 0, "docker-compose config rejected \(file.path):\n\(output.text)")
        // Compose prints YAML; Python's YAML parser (a dependency of docker-compose) turns it into JSON.
        let yaml = try Shell.capture(
            [
                "sh", "-c", "\"$0\" -f \"$1\" config | python3 -c 'import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'", compose,
                file.path,
            ]
        )
        try #require(yaml.status == 0, "could not parse docker-compose's output: \(yaml.text)")
        return try #require(JSONSerialization.jsonObject(with: Data(yaml.text.utf8)) as? [String: Any])
    }

    func json(_ url: URL) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any], "\(url.path) is not a JSON object")
    }

    @Test("every scenario folder has a devcontainer, a compose file and its own dashboard")
    func everyScenarioIsWired() throws {
        #expect(!self.paths.scenarioFolders().isEmpty)
        for folder in self.paths.scenarioFolders() {
            #expect(self.exists(self.devcontainer(for: folder)), "missing .devcontainer/\(folder.lastPathComponent)/devcontainer.json")
            #expect(self.exists(folder.appendingPathComponent("docker-compose.yml")), "missing \(folder.lastPathComponent)/docker-compose.yml")
            #expect(self.exists(folder.appendingPathComponent("dashboard.json")), "missing \(folder.lastPathComponent)/dashboard.json")
        }
    }

    @Test("every compose file passes docker-compose config, and every path it mounts or builds from exists")
    func composeFilesValidate() throws {
        for file in self.composeFiles {
            let config = try self.composeConfig(file)
            let services = try #require(config["services"] as? [String: [String: Any]])
            #expect(!services.isEmpty)
            for (name, service) in services {
                for volume in service["volumes"] as? [String] ?? [] {
                    let source = String(volume.prefix { $0 != ":" })
                    guard source.hasPrefix("/") else { continue }  // a named volume
                    #expect(
                        self.exists(URL(fileURLWithPath: source)),
                        "\(file.lastPathComponent): service \(name) mounts \(source), which does not exist"
                    )
                }
                if let build = service["build"] as? [String: Any], let context = build["context"] as? String {
                    let dockerfile = URL(fileURLWithPath: context).appendingPathComponent(build["dockerfile"] as? String ?? "Dockerfile")
                    #expect(
                        self.exists(dockerfile),
                        "\(file.lastPathComponent): service \(name) builds from \(dockerfile.path), which does not exist"
                    )
                    try self.checkDockerfileCopies(
                        dockerfile,
                        context: URL(fileURLWithPath: context),
                        arguments: build["args"] as? [String: String] ?? [:]
                    )
                }
            }
        }
    }

    /// Every `COPY <source> <destination>` of the Dockerfile names a path of the build context.
    func checkDockerfileCopies(_ dockerfile: URL, context: URL, arguments: [String: String]) throws {
        let lines = try String(contentsOf: dockerfile, encoding: .utf8).split(separator: "\n")
        let copies = lines.filter { $0.hasPrefix("COPY ") }
        #expect(!copies.isEmpty)
        for line in copies {
            var source = String(line.split(separator: " ")[1])
            for (key, value) in arguments { source = source.replacingOccurrences(of: "${\(key)}", with: value) }
            #expect(!source.contains("$"), "\(dockerfile.lastPathComponent): \(line) uses a build argument the compose file does not set")
            #expect(
                self.exists(context.appendingPathComponent(source)),
                "\(dockerfile.lastPathComponent): \(line): \(source) is not in the build context"
            )
        }
    }

    @Test("every compose file matches the Compose Specification schema")
    func composeSchema() throws {
        try self.validate(schema: "compose-spec.json", files: self.composeFiles)
    }

    @Test("every devcontainer.json matches the devcontainer schema")
    func devcontainerSchema() throws {
        try self.validate(schema: "devContainer.schema.json", files: self.paths.scenarioFolders().map(self.devcontainer(for:)))
    }

    func validate(schema: String, files: [URL]) throws {
        let script = self.root.appendingPathComponent("Shared/Tests/Schemas/validate.py").path
        let output = try Shell.capture(["python3", script, schema] + files.map(\.path))
        #expect(output.status == 0, "\(output.text)")
    }

    @Test("every path a devcontainer.json names exists, and its service mounts the repository at workspaceFolder")
    func devcontainerPaths() throws {
        for folder in self.paths.scenarioFolders() {
            let file = self.devcontainer(for: folder)
            let devcontainer = try self.json(file)
            let name = folder.lastPathComponent
            // The compose file, relative to the devcontainer file (Codespaces resolves it that way).
            let composePath = try #require(devcontainer["dockerComposeFile"] as? String)
            #expect(composePath == "../../\(name)/docker-compose.yml")
            let compose = file.deletingLastPathComponent().appendingPathComponent(composePath).standardizedFileURL
            #expect(self.exists(compose), "\(composePath) does not exist")
            // The service exists and mounts the repository root at workspaceFolder.
            let config = try self.composeConfig(compose)
            let services = try #require(config["services"] as? [String: [String: Any]])
            let serviceName = try #require(devcontainer["service"] as? String)
            let service = try #require(services[serviceName], "\(name): no service \(serviceName) in \(composePath)")
            let workspace = try #require(devcontainer["workspaceFolder"] as? String)
            let mounts = (service["volumes"] as? [String] ?? []).map { $0.split(separator: ":").map(String.init) }
            #expect(
                mounts.contains { $0.count >= 2 && $0[1] == workspace && URL(fileURLWithPath: $0[0]).standardizedFileURL == self.root },
                "\(name): service \(serviceName) must mount the repository root at \(workspace)"
            )
            #expect((service["working_dir"] as? String) == workspace)
            // Paths inside the container map to the repository through that mount.
            func inRepository(_ containerPath: String) -> URL {
                let relative = containerPath.hasPrefix(workspace + "/") ? String(containerPath.dropFirst(workspace.count + 1)) : containerPath
                return self.root.appendingPathComponent(relative)
            }
            let codespaces = (devcontainer["customizations"] as? [String: Any])?["codespaces"] as? [String: Any]
            let openFiles = try #require(codespaces?["openFiles"] as? [String])
            #expect(openFiles == ["\(name)/SCENARIO.md"])
            for path in openFiles { #expect(self.exists(inRepository(path)), "\(name): openFiles names \(path), which does not exist") }
            let postStart = try #require(devcontainer["postStartCommand"] as? String)
            let script = try #require(postStart.split(separator: " ").first { $0.hasSuffix(".sh") }.map(String.init))
            #expect(self.exists(inRepository(script)), "\(name): postStartCommand runs \(script), which does not exist")
            #expect(postStart.hasSuffix(" \(name)"), "\(name): the post-start step must start this scenario")
            // Grafana answers some time after its port opens: notify, never openBrowser (a tab opened too early shows an error).
            // The exercise panel answers at once (the post-start step starts it before the build) and opens beside the editor.
            let ports = try #require(devcontainer["portsAttributes"] as? [String: [String: Any]])
            let forwarded = devcontainer["forwardPorts"] as? [Int] ?? []
            #expect(Set(forwarded).isSuperset(of: [8090, 8080, 3000, 9090]), "\(name): forward the panel, the server, Grafana and Prometheus")
            for port in forwarded {
                #expect((ports[String(port)]?["label"] as? String)?.isEmpty == false, "\(name): port \(port) needs a label")
                let action = port == PanelConfiguration.defaultPort ? "openPreview" : "notify"
                #expect(ports[String(port)]?["onAutoForward"] as? String == action, "\(name): port \(port) should \(action)")
            }
            let vscode = (devcontainer["customizations"] as? [String: Any])?["vscode"] as? [String: Any]
            #expect((vscode?["extensions"] as? [String])?.contains("swiftlang.swift-vscode") == true)
        }
    }

    @Test("the datasource UID is the same in the datasource file and in every panel of every dashboard")
    func datasourceUID() throws {
        let datasources = try String(
            contentsOf: self.root.appendingPathComponent("observability/grafana/provisioning/datasources/prometheus.yml"),
            encoding: .utf8
        )
        #expect(datasources.contains("uid: \(Self.datasourceUID)"))
        let dashboards = try GrafanaDashboard.all(in: self.paths)
        #expect(dashboards.count >= 1 + self.paths.scenarioFolders().count)
        #expect(Set(dashboards.map(\.uid)).count == dashboards.count, "two dashboards share a uid")
        for dashboard in dashboards {
            #expect(!dashboard.queryPanels.isEmpty)
            for panel in dashboard.queryPanels {
                let title = "\(dashboard.url.lastPathComponent): \(panel.title ?? "?")"
                #expect(panel.datasource?.uid == Self.datasourceUID, "\(title): panel datasource uid")
                for target in panel.targets ?? [] {
                    #expect(target.datasource?.uid == Self.datasourceUID, "\(title): query \(target.refId ?? "?") datasource uid")
                    #expect(target.expr?.isEmpty == false, "\(title): query \(target.refId ?? "?") has no PromQL")
                }
            }
        }
    }

    @Test("a scenario with a load balancer: nginx -t accepts its config, Compose runs nginx with that same file, Prometheus scrapes each instance")
    func loadBalancers() throws {
        let scenarios = try self.paths.scenarioFolders().map(Scenario.init(folder:)).filter(\.hasLoadBalancer)
        #expect(!scenarios.isEmpty, "scenario 04 runs instances behind nginx")
        let prometheus = try String(contentsOf: Observability(paths: self.paths).scrapeConfig, encoding: .utf8)
        for scenario in scenarios {
            let services = try ScenarioServices(scenario: scenario, paths: self.paths)
            for instance in scenario.allInstances {
                #expect(prometheus.contains("127.0.0.1:\(instance.port)\"]\n        labels: { instance: \(instance.name ?? "") }"))
            }
            let devcontainer = try self.json(self.devcontainer(for: scenario.folder))
            let forwarded = devcontainer["forwardPorts"] as? [Int] ?? []
            #expect(Set(forwarded).isSuperset(of: try scenario.instances().map(\.port)), "forward each instance's port too")
            let compose = try #require(try self.composeConfig(scenario.file("docker-compose.yml"))["services"] as? [String: [String: Any]])
            if let haproxy = services.all.compactMap({ $0 as? HAProxyService }).first {
                try self.checkHAProxy(haproxy, scenario: scenario, compose: compose, prometheus: prometheus, forwarded: forwarded)
                continue
            }
            let balancer = try #require(services.all.compactMap { $0 as? NginxService }.first, "\(scenario.folderName) declares no load balancer")
            let config = balancer.configFile
            #expect(try balancer.validate() == nil, "nginx -t rejected \(config.path)")
            // The config sends requests to every instance port of lab.json, and listens on the scenario's port.
            let text = try String(contentsOf: config, encoding: .utf8)
            #expect(text.contains("listen 127.0.0.1:\(scenario.manifest.port);"))
            for instance in scenario.allInstances {
                #expect(
                    text.contains("server 127.0.0.1:\(instance.port) "),
                    "\(config.lastPathComponent) does not send requests to \(instance.label)"
                )
            }
            // Compose: an nginx service with the same file, in the lab's network namespace; the app told not
            // to start its own.
            let nginx = try #require(compose["nginx"], "\(scenario.folderName)/docker-compose.yml has no nginx service")
            #expect((nginx["network_mode"] as? String) == "service:postgres")
            let mounts = (nginx["volumes"] as? [String] ?? []).map { $0.split(separator: ":").map(String.init) }
            #expect(mounts.contains { $0.count >= 2 && URL(fileURLWithPath: $0[0]).standardizedFileURL == config.standardizedFileURL })
            let environment = (compose["app"]?["environment"] as? [String: Any]) ?? [:]
            #expect(environment[NginxService.externalVariable] as? String == "external")
        }
    }

    /// HAProxy (scenario 06): `haproxy -c` accepts both configs, each listens on the scenario's port and sends
    /// requests to every instance, its statistics answer where lab.json says and Prometheus scrapes them. In
    /// Compose the lab runs it in the app container (the image installs it), as natively.
    func checkHAProxy(
        _ haproxy: HAProxyService,
        scenario: Scenario,
        compose: [String: [String: Any]],
        prometheus: String,
        forwarded: [Int]
    ) throws {
        var configs = [haproxy.config]
        if let fixed = scenario.manifest.fixedConfigs?[haproxy.config] { configs.append(fixed) }
        for file in configs {
            let service = try HAProxyService(
                declaration: ServiceDeclaration(kind: HAProxyService.kind, port: haproxy.statsPort, config: file),
                scenario: scenario,
                paths: self.paths
            )
            #expect(try service.validate() == nil, "haproxy -c rejected \(file)")
            let text = try String(contentsOf: scenario.file(file), encoding: .utf8)
            #expect(text.contains("bind 127.0.0.1:\(scenario.manifest.port)"), "\(file) listens on the scenario's port")
            #expect(text.contains("bind 127.0.0.1:\(haproxy.statsPort)"), "\(file) serves its statistics where lab.json says")
            #expect(text.contains("prometheus-exporter"), "\(file) serves HAProxy's metrics")
            for instance in scenario.allInstances {
                #expect(text.contains("127.0.0.1:\(instance.port)"), "\(file) does not send requests to \(instance.label)")
            }
        }
        #expect(prometheus.contains("127.0.0.1:\(haproxy.statsPort)"), "Prometheus scrapes HAProxy")
        #expect(compose["haproxy"] == nil, "the lab runs HAProxy in the app container")
        let environment = (compose["app"]?["environment"] as? [String: Any]) ?? [:]
        #expect(environment[HAProxyService.externalVariable] == nil)
        let dockerfile = try String(contentsOf: self.paths.root.appendingPathComponent(".devcontainer/Dockerfile"), encoding: .utf8)
        #expect(dockerfile.contains(" haproxy "), "the app image installs haproxy")
        #expect(forwarded.contains(haproxy.statsPort), "forward HAProxy's statistics page")
    }

    @Test("a scenario with Redis: Compose runs it with the same redis.conf on the lab's port, its exporter reads it, the app waits for it")
    func redisServices() throws {
        let scenarios = try self.paths.scenarioFolders().map(Scenario.init(folder:))
            .filter { ($0.manifest.services ?? []).contains { $0.kind == RedisService.kind } }
        #expect(!scenarios.isEmpty, "scenario 05 runs Redis")
        for scenario in scenarios {
            let services = try ScenarioServices(scenario: scenario, paths: self.paths)
            let redis = try #require(services.all.compactMap { $0 as? RedisService }.first)
            let compose = try #require(try self.composeConfig(scenario.file("docker-compose.yml"))["services"] as? [String: [String: Any]])
            let container = try #require(compose["redis"], "\(scenario.folderName)/docker-compose.yml has no redis service")
            #expect((container["network_mode"] as? String) == "service:postgres")
            let command = container["command"] as? [String] ?? []
            #expect(command.starts(with: ["redis-server", "/usr/local/etc/redis/redis.conf"]), "\(command)")
            #expect(command.contains("--port") && command.contains(String(redis.port)), "the lab's port (\(redis.port)): \(command)")
            let mounts = (container["volumes"] as? [String] ?? []).map { $0.split(separator: ":").map(String.init) }
            #expect(
                mounts.contains {
                    $0.count >= 2 && URL(fileURLWithPath: $0[0]).standardizedFileURL == scenario.file(redis.config).standardizedFileURL
                        && $0[1] == "/usr/local/etc/redis/redis.conf"
                },
                "the redis container runs the scenario's own \(redis.config): \(mounts)"
            )
            let exporter = try #require(compose["redis-exporter"], "no redis-exporter service")
            #expect((exporter["command"] as? [String] ?? []).contains("-redis.addr=redis://127.0.0.1:\(redis.port)"))
            #expect((exporter["network_mode"] as? String) == "service:postgres")
            let environment = (compose["app"]?["environment"] as? [String: Any]) ?? [:]
            #expect(environment[RedisService.externalVariable] as? String == "external")
            if let fixed = scenario.manifest.fixedConfigs?[redis.config] {
                #expect(FileManager.default.fileExists(atPath: scenario.file(fixed).path), "\(fixed) is named in lab.json")
            }
        }
    }

    @Test("the Prometheus scrape config passes promtool, and scrapes the app and the exporter on the lab's ports")
    func prometheusConfig() throws {
        let promtool = try #require(Shell.which("promtool"), "promtool is not installed: apt-get install prometheus")
        let config = Observability(paths: self.paths).scrapeConfig
        let output = try Shell.capture([promtool, "check", "config", config.path])
        #expect(output.status == 0, "\(output.text)")
        let text = try String(contentsOf: config, encoding: .utf8)
        for scenario in try self.paths.scenarioFolders().map(Scenario.init(folder:)) {
            #expect(text.contains("127.0.0.1:\(scenario.manifest.port)"), "\(scenario.folderName)'s port is not scraped")
        }
        for exporter in [9187, 9121] { #expect(text.contains("127.0.0.1:\(exporter)"), "the exporter on \(exporter) is not scraped") }
    }
}
