counter = (counter or 0) + 1
newglobal = "from the hotfix"
print(counter, newglobal, rawget(_G, "newglobal"), _G.counter)
