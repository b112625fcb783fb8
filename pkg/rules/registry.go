package rules

// All returns every rule whittle has, ordered by ID. Each call returns new
// values; rules are stateless.
func All() []Rule {
	return []Rule{
		shellSyntax{},
		layerTechnique{},
		layerCopyChown{},
		layerDownload{},
		consecutiveRuns{},
		copyArchive{},
		copyRoot{},
		buildPackages{},
		contextCopy{},
		aptLists{},
		aptRecommends{},
		aptClean{},
		aptUpdateAlone{},
		aptAutoremove{},
		apkCache{},
		apkUpdate{},
		yumClean{},
		zypperClean{},
		dnfClean{},
		pipCache{},
		npmCache{},
		yarnCache{},
		gemDocs{},
		goCache{},
		cargoCache{},
		goModCache{},
		composerCache{},
		bundlerCache{},
		composerDev{},
		tmpFiles{},
		archiveLeft{},
		addPlain{},
		curlAndWget{},
		useraddLastlog{},
		buildTree{},
		baseImage{},
	}
}
