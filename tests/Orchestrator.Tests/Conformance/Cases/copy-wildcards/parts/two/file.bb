tt
